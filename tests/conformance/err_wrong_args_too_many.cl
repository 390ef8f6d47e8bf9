; too many arguments to a user function
(define (one x) x)
(print (one 1))
(one 1 2)
