; non-tail recursion 50000 deep stays under the default limit
(define (depth n) (if (= n 0) 0 (+ 1 (depth (- n 1)))))
(print (depth 50000))
(define (build n) (if (= n 0) [] (cons n (build (- n 1)))))
(define xs (build 50000))
(print (length xs) (head xs) (last xs))
(define (sum xs) (match xs ([] 0) ((cons h t) (+ h (sum t)))))
(print (sum xs))
