; A short tour of ClaudeLang: recursion, a hot loop, closures, lists,
; pattern matching and effects. Run it with:
;   cargo run --release -- run examples/tour.cl

(define (fib n)
  (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))

(define (sum-squares n)          ; a hot loop: back-edges make it JIT-hot
  (let ((acc 0) (i 0))
    (while (< i n)
      (set! acc (+ acc (* i i)))
      (set! i (+ i 1)))
    acc))

(print (fib 25) (sum-squares 1000))          ; 75025 332833500
(print (map (lambda (x) (* x x)) [1 2 3]))   ; (1 4 9)
(print (match [1 2 3] ([a ...rest] rest)))   ; (2 3)

(define (make-counter)
  (let ((n 0))
    (lambda () (set! n (+ n 1)) n)))
(define tick (make-counter))
(tick) (tick)
(print "counter:" (tick))                    ; counter: 3

(define (count-down n) (if (= n 0) 'done (count-down (- n 1))))
(print (count-down 1000000))                 ; done (a million tail calls)

(effect state:set "greeting" "hello")
(io:print (effect state:get "greeting") "from ClaudeLang")
