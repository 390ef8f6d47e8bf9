; an unknown effect is a runtime error naming it
(print "before")
(effect nosuch:thing 1 2)
(print "after")
