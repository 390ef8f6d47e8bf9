; variadic + folds left to right, so the first partial sum already overflows
(print (+ 9223372036854775807 -1 1))
(print (+ 9223372036854775807 1 -1))
