; define as an argument of a call is not in a body position
(print "this must not print")
(print (define z 3))
