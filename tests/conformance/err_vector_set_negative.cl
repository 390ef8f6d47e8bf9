; a negative index is out of range too
(define v (make-vector 2 0))
(vector-set! v 1 5)
(print v)
(vector-set! v -1 7)
(print v)
