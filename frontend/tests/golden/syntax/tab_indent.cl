(define (f)
	(g]
