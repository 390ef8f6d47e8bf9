; an integer literal that does not fit in an i64
(print "never printed")
(print 9223372036854775807)
(print 9223372036854775808)
