; mutual tail recursion a million deep
(define (my-even? n) (if (= n 0) true (my-odd? (- n 1))))
(define (my-odd? n) (if (= n 0) false (my-even? (- n 1))))
(print (my-even? 1000000) (my-odd? 1000001) (my-even? 999999))
