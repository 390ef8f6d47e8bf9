; print separates values with one space and ends with a newline
(print "a" "" "b")
(print)
(print "multi\nline" 1)
(print nil true false)
(print 'sym "str" ['sym "str"])
(print (vector "s" 's) (list [] (vector)))
