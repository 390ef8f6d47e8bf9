; IEEE-754 infinities and nan, printed in lower case
(print (/ 1.0 0) (/ -1.0 0) (/ 0.0 0))
(print (* 1e200 1e200) (- (* 1e200 1e200)))
(print (/ 5 0.0) (float? (/ 1 0.0)) (/ 0 0.0))
(print [(/ 1.0 0) 1.5] (vector (/ -1.0 0.0)))
(print (to-string (/ -1 0.0)) (to-string (/ 0.0 0.0)))
(print (> (/ 1.0 0) 1e308) (< (/ -1.0 0) -1e308))
