; flags: --hot-calls 3 --hot-loops 10
; Eager compiles synchronously, so with thresholds the events happen at
; exactly these counts: `twice` on its third call, `spin` at its tenth
; back-edge, after which the running loop enters native code (OSR).
(define (twice x) (* x 2))
(define (spin n)
  (let ((i 0))
    (while (< i n) (set! i (+ i 1)))
    i))
(define (once) 'once)
(print (twice 1) (twice 2))
(print (twice 3) (twice 4))
(print (spin 25) (once))
