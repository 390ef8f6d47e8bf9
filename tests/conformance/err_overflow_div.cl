; the quotient of the most negative i64 by -1 does not fit
(print (/ -9223372036854775808 1))
(print (/ -9223372036854775808 -1))
