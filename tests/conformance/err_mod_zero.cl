; integer mod by zero
(print (mod 10 3) (mod 10.0 0))
(print (mod 10 0))
