; A program with a few distinct hot spots, for trying the profilers:
;   claudelang run --flamegraph fg.svg --tier-stats examples/profile-me.cl
; It also defines `main`, so it can be studied with `claudelang warmup`.

(define (fib n)                          ; call-heavy recursion
  (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))

(define (sum-squares n)                  ; a hot loop (entered by OSR)
  (let ((acc 0) (i 0))
    (while (< i n)
      (set! acc (+ acc (* i i)))
      (set! i (+ i 1)))
    acc))

(define (primes-below n)                 ; lists and closures
  (filter (lambda (k) (prime? k)) (range 2 n)))
(define (prime? k)
  (let ((d 2) (ok true))
    (while (and ok (<= (* d d) k))
      (if (= (mod k d) 0) (set! ok false))
      (set! d (+ d 1)))
    ok))

(define (main)
  (+ (fib 22) (sum-squares 30000) (length (primes-below 3000))))

(define total 0)
(dotimes (i 40) (set! total (+ total (main))))
(print total)
