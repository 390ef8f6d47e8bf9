; a stray closing parenthesis
(print "never printed")
(print 1))
(print 2)
