; if with and without else; cond with else, without a match, multi-form clauses
(print (if true 1 2) (if false 1 2) (if nil 1 2) (if 0 'yes 'no))
(print (if false 1))
(print (if [] "empty-list-is-true" "f") (if "" 'a 'b))
(define (sign x) (cond ((< x 0) 'neg) ((= x 0) 'zero) (else 'pos)))
(print (sign -5) (sign 0) (sign 3.5))
(print (cond (false 1) (nil 2)))
(print (cond ((> 1 0) (print "side") 'first) (true 'second)))
(print (cond (false 'a) (else 'b 'c)))
