; A benchmark for `claudelang warmup`: the top level only defines things;
; `main` is what runs N times in each process.
;   claudelang warmup examples/warmup.cl --iterations 200 --processes 3 --out warmup-out

(define (fib n)
  (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))

(define (sum-squares n)
  (let ((acc 0) (i 0))
    (while (< i n)
      (set! acc (+ acc (* i i)))
      (set! i (+ i 1)))
    acc))

(define (main)
  (+ (fib 20) (sum-squares 20000)))
