; tail calls from match arms
(define (sum-list xs acc)
  (match xs
    ([] acc)
    ((cons h t) (sum-list t (+ acc h)))))
(print (sum-list (range 1000000) 0))
(define (countdown n)
  (match n
    (0 'liftoff)
    (_ (countdown (- n 1)))))
(print (countdown 1000000))
