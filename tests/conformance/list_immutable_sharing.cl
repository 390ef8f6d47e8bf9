; consing onto a list does not change it
(define a [2 3])
(define b (cons 1 a))
(define c (cons 0 a))
(print a b c)
(define r (reverse b))
(print b r (append a a) a)
