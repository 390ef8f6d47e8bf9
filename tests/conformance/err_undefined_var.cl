; reading a name that is neither local nor global
(print "start")
(define (f) (+ 1 not-defined-anywhere))
(print (f))
