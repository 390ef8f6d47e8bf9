; With <= the bound itself is reached, so the step after it can overflow:
; i <= n proves nothing about i + 1. Counting up to the largest int
; must fail with the usual error in every tier. (The second test only
; bounds the damage if that check went missing.)
(define (up-to-incl i n)
  (let ((steps 0))
    (while (and (<= i n) (< steps 20))
      (set! steps (+ steps 1))
      (set! i (+ i 1)))
    (list i steps)))
(define (repeat k f)
  (let ((r 0) (last nil))
    (while (< r k) (set! last (f)) (set! r (+ r 1)))
    last))
(print (repeat 2000 (lambda () (up-to-incl 0 100))))
(print (up-to-incl 9223372036854775800 9223372036854775807))
