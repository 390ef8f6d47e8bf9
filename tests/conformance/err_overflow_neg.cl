; negating the most negative i64 overflows
(print "before")
(define m -9223372036854775808)
(print (- m))
