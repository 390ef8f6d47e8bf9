; a rest parameter does not lower the number of required arguments
(define (f a b . r) (list a b r))
(print (f 1 2) (f 1 2 3))
(print (f 1))
