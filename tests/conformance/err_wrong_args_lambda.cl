; too few arguments to a user function
(define (add2 a b) (+ a b))
(print (add2 1 2))
(print (add2 1))
