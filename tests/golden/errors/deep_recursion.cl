(define (deep n) (if (= n 0) 0 (+ 1 (deep (- n 1)))))
(print (deep 1000000))
