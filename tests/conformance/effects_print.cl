; io:print behaves like print, with or without the effect keyword
(io:print "hello" 42 [1 "a"])
(effect io:print "via effect" 1.5)
(io:print)
(print "x" "y")
(define (log-twice msg) (io:print msg) (effect io:print msg))
(log-twice 'twice)
