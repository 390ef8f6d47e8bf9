; hex literals have no sign
(print "never printed")
(print -0x1F)
