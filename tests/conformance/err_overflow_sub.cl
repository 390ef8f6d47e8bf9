; binary subtraction below the i64 minimum
(define (down x) (- x 1))
(print (down -9223372036854775807))
(print (down -9223372036854775808))
