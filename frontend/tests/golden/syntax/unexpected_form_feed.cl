(print  x)
