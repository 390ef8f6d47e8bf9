; tail of the empty list is a runtime error
(define (drop-one xs) (tail xs))
(print (drop-one [1 2]))
(print (drop-one (drop-one [1])))
