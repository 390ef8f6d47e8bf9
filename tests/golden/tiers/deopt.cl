; Compiled before it ever ran, `add` speculates that its `+` sees ints.
; Floats fail the guard: each one deoptimizes to the interpreter, which
; records the float; after 16 the code is thrown away and the next call
; recompiles it with a float path.
(define (add a b) (+ a b))
(print (add 1 2))
(define acc 0.0)
(dotimes (i 20) (set! acc (add acc 0.5)))
(print acc (add 2 3))
