; nth on a vector, out of range
(define v (vector 'a 'b))
(print (nth v 1))
(print (nth v 5))
