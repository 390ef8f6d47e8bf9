; Deep recursion through functions with rest parameters and no extra
; arguments: a new frame's rest register can land exactly at the end of
; the value stack, which must grow before the (empty) rest list is stored
; there. Where frames land depends on the frames below them, so each
; recursion runs on top of 0 to 7 frames of a padding function, which
; shifts them through every alignment.
(define (r1 n . rest) (if (<= n 0) (length rest) (+ 1 (r1 (- n 1)))))
(define (r2 n m . rest) (if (<= n 0) m (+ 1 (r2 (- n 1) m))))
(define (r3 n . rest) (let ((a n) (b 1)) (if (<= a 0) b (+ b (r3 (- a 1))))))
(define (pad j f) (if (= j 0) (f) (+ 0 (pad (- j 1) f))))
(define (each-shift f)
  (let ((out []) (j 0))
    (while (< j 8)
      (set! out (cons (pad j f) out))
      (set! j (+ j 1)))
    out))
(print (each-shift (lambda () (r1 40000))))
(print (each-shift (lambda () (r2 40000 5))))
(print (each-shift (lambda () (r3 40000))))
