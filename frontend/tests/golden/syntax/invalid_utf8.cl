(print "café")
