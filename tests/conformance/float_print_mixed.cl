; mixed int/float arithmetic converts the int to a float
(print (+ 1 0.5) (* 2 1.5) (- 10 0.25) (+ 0.0 9007199254740993))
(print (* 1.0 123456789012345678))
(print (/ 1 8.0) (/ 10 4) (/ 10.0 4))
(print (+ 1.0 9223372036854775807))
(print (float? (+ 1 0.0)) (+ 1 0.0) (* 0 2.5))
