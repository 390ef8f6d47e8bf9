; calling a list or a string is not a call of a function
(define (call-first xs) ((head xs) 1))
(print (call-first (list (lambda (v) (+ v 1)))))
(print (call-first (list "not callable")))
