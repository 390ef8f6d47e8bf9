; a token that starts with a digit must be a number literal
(print "never printed")
(define x 1abc)
