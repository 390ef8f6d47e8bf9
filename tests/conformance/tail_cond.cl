; tail calls from cond clauses, including else and a multi-form clause body
(define (walk n acc)
  (cond ((= n 0) acc)
        ((= (mod n 2) 0) (walk (- n 1) (+ acc 2)))
        (else (set! acc (- acc 1)) (walk (- n 1) acc))))
(print (walk 1000000 0))
