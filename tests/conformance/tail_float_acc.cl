; a million-deep tail loop whose accumulator turns from int into float
(define (half-sum n acc) (if (= n 0) acc (half-sum (- n 1) (+ acc 0.5))))
(print (half-sum 1000000 0))
(define (three-way n a b c)
  (if (= n 0) (list a b c) (three-way (- n 1) b c (+ a 1))))
(print (three-way 1000000 0 0 0))
