; `[i i]` builds a list, which native code leaves to the interpreter for;
; the interpreter then runs to the loop's back-edge and re-enters the
; native code there, once per iteration.
(define (pairs n)
  (let ((acc []) (i 0))
    (while (< i n)
      (set! acc (cons [i i] acc))
      (set! i (+ i 1)))
    acc))
(print (pairs 3))
