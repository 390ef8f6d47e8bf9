(define (f) (+ 1 missing-name))
(f)
