; integer overflow in + is a runtime error, never a silent wrap
(define x 9223372036854775800)
(print "start")
(dotimes (i 10)
  (set! x (+ x 2))
  (print x))
(print "unreachable")
