; a tail call nested in let / cond / match / if / and
(define (walk n acc)
  (let ((r (mod n 3)))
    (cond ((= n 0) acc)
          (else
           (match r
             (0 (walk (- n 1) (+ acc 1)))
             (_ (if (= r 1)
                    (walk (- n 1) acc)
                    (and true (walk (- n 1) acc)))))))))
(print (walk 1000000 0))
