; variadic folding with a type change in the middle
(print (+ 1 2 0.5) (+ 0.5 1 2) (* 2 3 0.5) (- 1 0.5 0.5))
(print (int? (+ 1 2 3)) (float? (+ 1 2 3.0)))
(print (/ 12 2 3) (/ 12 2 4.0) (- 10 2.5 2))
