; begin and do sequence forms; the empty begin is nil
(print (begin 1 2 3) (do 4 5) (begin))
(begin (print "a") (print "b"))
(define x (do (print "c") 10))
(print x)
(print (do))
