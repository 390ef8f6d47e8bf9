; symbols may contain many punctuation characters
(define a->b 3)
(define x1! 2)
(define empty-list? (lambda (x) (empty? x)))
(define *star* 4)
(define -neg 1)
(print a->b x1! (empty-list? []) *star* -neg (- -neg))
(print (symbol? 'foo-bar?) 'io:print '+ '...rest '<=>)
(print (symbol->string 'set!) (symbol->string 'a/b))
