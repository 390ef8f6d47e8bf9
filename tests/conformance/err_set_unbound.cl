; set! of a name that is bound nowhere is an error
(print "start")
(define (f) (set! never-bound 5))
(f)
(print "unreachable")
