; the four operators, two or more operands, folding left to right
(print (+ 1 2) (- 10 4) (* 6 7) (/ 20 5))
(print (+ 1 2 3 4) (- 10 1 2 3) (* 1 2 3 4) (/ 100 2 5))
(print (- 5) (- -5) (- 0))
(print (+ -3 3) (* -4 5) (- 3 10))
(print (+ 1 (* 2 3) (- 10 (/ 9 3))))
