; a zero later in a variadic integer division
(print (/ 100 5 2))
(print (/ 100 5 0))
