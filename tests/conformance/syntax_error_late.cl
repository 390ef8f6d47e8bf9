; the whole file is parsed before anything runs: a late syntax error prints nothing
(print "one")
(print "two")
(define (ok x) (* x 2))
(print (ok 21))
(print "three"
