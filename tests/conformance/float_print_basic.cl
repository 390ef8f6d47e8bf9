; floats print with shortest round-trip digits and always a '.' or an exponent
(print 3.0 0.1 1000.0 -7.5 0.0 100.0 0.5)
(print (+ 0.1 0.2) (/ 1 3.0) (* 1.1 1.1))
(print 123456.789 (- 0.3 0.1) (* 4 0.25))
(print 1000000000000000.0 1e15 0.0001 0.00012345)
