; printed forms of functions
(define (square x) (* x x))
(print square)
(print (lambda (x) x))
(print +)
(print length string-length)
(print [square +])
(print (to-string square))
(print (function? square) (function? +) (function? 'square))
