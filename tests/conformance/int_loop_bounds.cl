; A loop counter that steps by one towards its loop's int bound cannot
; overflow, and native code leaves out that check. These loops run right
; up to the limits of the int range, where any slip would show: they must
; finish, with exact counts, in every tier.
(define top 9223372036854775807)
(define bottom (- -9223372036854775807 1))

; Up to the largest int, with < : the last step makes i = max exactly.
(define (up-to i n)
  (let ((steps 0))
    (while (< i n)
      (set! steps (+ steps 1))
      (set! i (+ i 1)))
    (list i steps)))
(print (up-to (- top 5) top))
(define (repeat k f)
  (let ((r 0) (last nil))
    (while (< r k) (set! last (f)) (set! r (+ r 1)))
    last))
(print (repeat 2000 (lambda () (up-to (- top 50) top))))

; Down to the smallest int, with > and a constant bound on the other side.
(define (down-to i n)
  (let ((steps 0))
    (while (> i n)
      (set! steps (+ steps 1))
      (set! i (- i 1)))
    (list i steps)))
(print (down-to (+ bottom 7) bottom))
(print (repeat 2000 (lambda () (down-to (+ bottom 40) bottom))))
(define (down-to-zero i)
  (let ((s 0))
    (while (> i 0) (set! s (+ s i)) (set! i (+ i -1)))
    (list i s)))
(print (repeat 2000 (lambda () (down-to-zero 100))))

; dotimes counts with the same test.
(define (count-dotimes n)
  (let ((s 0)) (dotimes (k n) (set! s (+ s k))) s))
(print (repeat 2000 (lambda () (count-dotimes 100))))

; The counter also moves elsewhere in the body: that step keeps its check,
; and an overflow there is reported, even though i < n held at the top.
; (The second test only bounds the damage if that check went missing.)
(define (leap i n)
  (let ((steps 0))
    (while (and (< i n) (< steps 20))
      (set! steps (+ steps 1))
      (set! i (+ i 1))
      (if (= steps 3) (set! i (+ i 1)) nil))
    (list i steps)))
(print (repeat 2000 (lambda () (leap 0 10))))
(print (leap (- top 10) top))
(print (leap (- top 3) top))
