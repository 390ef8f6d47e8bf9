; fused compare-and-branch with an immediate, SubI, calls through a global
(define (fib n)
  (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
(print (fib 10))
