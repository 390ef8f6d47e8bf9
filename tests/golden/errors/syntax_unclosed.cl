(print "never runs")
(define (f x)
  (+ x 1)
