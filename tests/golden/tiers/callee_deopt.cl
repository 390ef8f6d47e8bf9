; Compiled before its first call, `call` speculates that `(f x)` calls
; closures. `abs` is a builtin: each call deoptimizes (reason
; callee-guard) and the interpreter records it; after 16 the code is
; thrown away and the recompiled code calls builtins itself.
(define (call f x) (+ 0 (f x)))
(define s 0)
(dotimes (i 30) (set! s (+ s (call abs (- i)))))
(print s)
