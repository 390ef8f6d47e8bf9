(define (two a b) (+ a b))
(define (caller) (two 1))
(caller)
