(print  x)
