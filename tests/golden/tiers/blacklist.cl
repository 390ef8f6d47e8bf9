; flags: --hot-calls 3 --fail-compiles 3
; Every compile fails (`--fail-compiles` injects the failure). Eager
; compiles synchronously, so the events land at exact call counts:
; `inc` is queued at its third call, retried 1000 and then 2000 calls
; after each failure, and blacklisted at the third (`max_failures`).
; The top level's loop goes the same way, counted in back-edges. The
; program's output does not change.
(define (inc x) (+ x 1))
(define n 0)
(dotimes (i 5000) (set! n (inc n)))
(print n)
