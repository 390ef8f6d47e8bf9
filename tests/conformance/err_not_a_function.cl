; calling a value that is not a function
(define x 5)
(print "ok")
(print (x 1))
