; a negative integer literal below the i64 minimum
(print "never printed")
(print -9223372036854775809)
