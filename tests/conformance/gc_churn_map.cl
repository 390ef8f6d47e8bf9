; many medium-sized temporary lists from map/filter/range
(define s 0)
(dotimes (i 2000)
  (set! s (+ s (length (filter (lambda (x) (> x 99)) (map (lambda (x) (* x 2)) (range 500)))))))
(print s)
