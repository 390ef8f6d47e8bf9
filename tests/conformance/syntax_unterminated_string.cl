; a string that is never closed (no newline at the end of this file)
(print "never printed")
(print "abc