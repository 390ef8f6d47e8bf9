; \q is not a string escape
(print "fine")
(print "bad \q escape")
