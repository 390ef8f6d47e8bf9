; a list form that is never closed
(print "never printed")
(define (f x)
  (+ x 1)
