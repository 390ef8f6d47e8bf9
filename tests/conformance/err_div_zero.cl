; integer division by zero
(define (safe-div a b) (if (= b 0) 'undefined (/ a b)))
(print (safe-div 10 2) (safe-div 1 0))
(define (div a b) (/ a b))
(print (div 10 3))
(print (div 10 0))
