(print x)
