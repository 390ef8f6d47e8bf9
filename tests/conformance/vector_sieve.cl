; a hot loop over a vector: the sieve of Eratosthenes
(define (sieve n)
  (let ((v (make-vector n true)) (count 0))
    (vector-set! v 0 false)
    (vector-set! v 1 false)
    (dotimes (i n)
      (if (vector-ref v i)
          (begin
            (set! count (+ count 1))
            (let ((j (* i i)))
              (while (< j n) (vector-set! v j false) (set! j (+ j i)))))))
    count))
(print (sieve 100) (sieve 10000))
