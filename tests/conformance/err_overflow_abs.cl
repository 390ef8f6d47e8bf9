; abs of the most negative i64 overflows
(print (abs -9223372036854775807))
(print (abs -9223372036854775808))
