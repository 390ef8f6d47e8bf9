; The prelude: builtins that call back into ClaudeLang code. Written in
; ClaudeLang so they run on the VM stack like user code: proper tail calls,
; the frame limit, GC roots and (later) JIT compilation all apply to them
; unchanged. Loops build results in reverse and flip them once, so a
; million-element list needs no deep recursion.

(define (map f xs . more)
  (if (empty? more)
      (let ((acc []))
        (while (not (empty? xs))
          (set! acc (cons (f (head xs)) acc))
          (set! xs (tail xs)))
        (reverse acc))
      (let ((lists (cons xs more)) (acc []) (go true))
        (while go
          (let ((ls lists) (args []) (tails []))
            (while (and go (not (empty? ls)))
              (if (empty? (head ls))
                  (set! go false)
                  (begin
                    (set! args (cons (head (head ls)) args))
                    (set! tails (cons (tail (head ls)) tails))
                    (set! ls (tail ls)))))
            (if go
                (begin
                  (set! acc (cons (apply f (reverse args)) acc))
                  (set! lists (reverse tails))))))
        (reverse acc))))

(define (filter f xs)
  (let ((acc []))
    (while (not (empty? xs))
      (let ((x (head xs)))
        (if (f x) (set! acc (cons x acc))))
      (set! xs (tail xs)))
    (reverse acc)))

(define (fold f init xs)
  (let ((acc init))
    (while (not (empty? xs))
      (set! acc (f acc (head xs)))
      (set! xs (tail xs)))
    acc))
