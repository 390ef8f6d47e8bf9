(print "\u0041")
