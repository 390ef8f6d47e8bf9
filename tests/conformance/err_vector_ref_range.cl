; vector-ref past the end is an error
(define v (vector 1 2 3))
(print (vector-ref v 2))
(print (vector-ref v 3))
