; A builtin called through a variable from hot code fails on the 3000th
; call: same message, location and stack trace in every tier.
(define (call f x) (+ 1 (f x)))
(define (run n)
  (let ((s 0))
    (dotimes (i n)
      (set! s (+ s (call head (if (< i 2999) (list i) i)))))
    s))
(print (run 2000))
(print (run 5000))
