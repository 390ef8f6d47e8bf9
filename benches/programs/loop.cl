; A 10^8-iteration integer while loop: back-edges and int arithmetic.
(define (sum-to n)
  (let ((i 0) (acc 0))
    (while (< i n)
      (set! acc (+ acc i))
      (set! i (+ i 1)))
    acc))
(print (sum-to 100000000))
