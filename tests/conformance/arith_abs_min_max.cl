; abs; min and max return the winning argument unchanged
(print (abs -5) (abs 5) (abs -2.5) (abs 0) (abs -9223372036854775807))
(print (max 1 2.0) (min 1 2.0) (max 3 1 2) (min 3 1 2))
(print (max -1.5 -2) (min 4 2.5 3) (max 2 10.0 3) (min -1 -1.5))
(print (int? (max 1 2)) (float? (max 1 2.0)) (int? (min 1 2.0)))
