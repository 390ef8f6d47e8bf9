; mod takes the sign of the divisor, rem the sign of the dividend
(print (mod 7 3) (mod -7 3) (mod 7 -3) (mod -7 -3))
(print (rem 7 3) (rem -7 3) (rem 7 -3) (rem -7 -3))
(print (mod 6 3) (mod -6 3) (rem -6 3) (mod 0 5))
(print (mod 7.5 2) (mod -7.5 2) (rem -7.5 2) (mod 7 2.5))
(print (mod 5.5 0) (rem 5 0.0) (mod 1 0.0))
(print (int? (mod 7 3)) (float? (mod 7.0 3)))
