; sqrt exp log sin cos always return floats
(print (sqrt 16) (sqrt 2) (sqrt 0.25) (float? (sqrt 4)))
(print (exp 0) (exp 1) (log 1) (log 10))
(print (sin 0) (cos 0) (float? (sin 0)) (float? (cos 0)))
(print (log 0) (sqrt -1))
