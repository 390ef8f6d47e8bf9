; A bound that is not an int proves nothing about i + 1: near the top of
; the int range, i < 1e19 still holds, and the step must overflow with
; the usual error in every tier.
(define (up-to i n)
  (let ((steps 0))
    (while (< i n)
      (set! steps (+ steps 1))
      (set! i (+ i 1)))
    (list i steps)))
(define (repeat k f)
  (let ((r 0) (last nil))
    (while (< r k) (set! last (f)) (set! r (+ r 1)))
    last))
(print (repeat 2000 (lambda () (up-to 0 100))))
(print (up-to 9223372036854775800 10000000000000000000.0))
