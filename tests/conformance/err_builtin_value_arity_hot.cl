; A builtin called through a variable with the wrong number of
; arguments after it went hot in tail position: the interpreter's arity
; error, in every tier.
(define (tail-call f x y) (f x y))
(define (run n)
  (let ((s 0))
    (dotimes (i n) (set! s (+ s (tail-call max i 1))))
    s))
(print (run 3000))
(print (tail-call abs 1 2))
