(define (check n) (if (> n 3) (error "too big:" n [1 "two"]) n))
(map check [1 2 3 4 5])
