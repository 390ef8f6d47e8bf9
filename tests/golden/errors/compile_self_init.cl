(print "never runs")
(let ((x (+ x 1))) x)
