; the location is the innermost failing form, not the outer call
(define (a x) (b (+ x 1)))
(define (b y) (c (* y 2)))
(define (c z) (/ z 0))
(print "go")
(print (a 1))
