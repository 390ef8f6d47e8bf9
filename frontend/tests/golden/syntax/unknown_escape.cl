(print "tab:\q")
