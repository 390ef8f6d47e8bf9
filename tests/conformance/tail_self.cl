; a million-deep self tail call runs in constant stack
(define (count-down n acc)
  (if (= n 0)
      acc
      (count-down (- n 1) (+ acc 1))))
(print (count-down 1000000 0))
(define (sum-to n acc) (if (> n 0) (sum-to (- n 1) (+ acc n)) acc))
(print (sum-to 1000000 0))
