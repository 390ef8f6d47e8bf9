; a million short-lived vectors
(define acc 0)
(dotimes (i 1000000)
  (let ((v (make-vector 4 i)))
    (vector-set! v 0 1)
    (set! acc (+ acc (vector-ref v 0) (vector-ref v 3)))))
(print acc)
