; / on two ints truncates toward zero; any float operand makes it float division
(print (/ 7 2) (/ -7 2) (/ 7 -2) (/ -7 -2))
(print (/ 7 2.0) (/ 7.0 2) (/ -7 2.0) (/ 1 4.0))
(print (/ 7 2 2.0) (/ 7.0 2 2))
(print (int? (/ 6 3)) (float? (/ 6.0 3)) (/ 6.0 3))
(print (/ 0 5) (/ 1 3) (/ -1 3) (/ 9223372036854775807 2))
