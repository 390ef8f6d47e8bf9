; reading a let binding before its init has run is a runtime error
(print "start")
(let ((get-b
        (lambda () (+ b 1)))
      (a (get-b))
      (b 2))
  (print a b))
