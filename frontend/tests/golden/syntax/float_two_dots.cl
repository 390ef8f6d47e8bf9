(print 1.5.2)
