; (a b . rest) collects the extra arguments in a list
(define (f a . rest) (list a rest))
(print (f 1) (f 1 2 3))
(define g (lambda (a b . more) (+ a b (length more))))
(print (g 1 2) (g 1 2 'x 'y 'z))
(print ((lambda (x . xs) xs) 1 2 3))
(define (sum-all first . others) (fold + first others))
(print (sum-all 1) (sum-all 1 2 3 4) (apply sum-all [5 5 5]))
