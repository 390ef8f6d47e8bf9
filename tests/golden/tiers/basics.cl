; The language reference's example: recursion, a hot loop, a lambda
; through the prelude's map. Every called function is compiled before its
; first instruction runs (--jit=eager).
(define (fib n)
  (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))

(define (sum-squares n)
  (let ((acc 0) (i 0))
    (while (< i n)
      (set! acc (+ acc (* i i)))
      (set! i (+ i 1)))
    acc))

(print (fib 15) (sum-squares 1000))
(print (map (lambda (x) (* x x)) [1 2 3]))
