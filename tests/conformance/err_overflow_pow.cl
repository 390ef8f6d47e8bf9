; pow of two ints overflows instead of turning into a float
(print (pow 2 62) (pow 3 39))
(print (pow 2 63))
