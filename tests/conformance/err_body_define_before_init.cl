; reading a body define before it has run is a runtime error
(define (f)
  (define (g) (* b 2))
  (define a (g))
  (define b 5)
  a)
(print "start")
(print (f))
