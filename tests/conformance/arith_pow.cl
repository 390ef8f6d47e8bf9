; pow: int ** non-negative int is an int; otherwise a float
(print (pow 2 10) (pow 3 0) (pow 0 0) (pow -2 3) (pow 2 62))
(print (pow 2 -1) (pow 2.0 3) (pow 2 0.5) (pow 4 0.5) (pow 10 -2))
(print (int? (pow 5 3)) (float? (pow 5.0 2)) (float? (pow 5 -1)))
(print (pow -2 63) (pow 10 18) (pow 1 1000000))
