; floats inside lists, vectors and to-string use the same printed form
(print [1.0 2.5 1e20] (vector 0.1 2.0))
(print (to-string 1e-7) (to-string 2.0) (to-string 1e16))
(print (string-length (to-string 1e16)) (string-length (to-string 10.0)))
(print (to-string [0.5 [1e-5]]))
