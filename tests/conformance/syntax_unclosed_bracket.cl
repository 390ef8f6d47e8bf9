; a list literal that is never closed
(print "never printed")
(define xs [1 2 3)
