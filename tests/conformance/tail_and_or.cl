; the last operand of and/or is a tail position
(define (all-pos? n) (or (= n 0) (and (> n 0) (all-pos? (- n 1)))))
(print (all-pos? 1000000))
(define (find-first n) (or (and (= n 0) 'done) (find-first (- n 1))))
(print (find-first 1000000))
(define (chain n) (and true 1 (if (= n 0) 'end (chain (- n 1)))))
(print (chain 1000000))
