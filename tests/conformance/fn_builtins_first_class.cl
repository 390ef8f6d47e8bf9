; builtins are first-class values
(print (fold + 0 [1 2 3 4]) (fold * 1 [1 2 3 4]) (map - [1 2 3]))
(define op *)
(print (op 6 7) (apply op [2 3 4]))
(define table (list + - max))
(print (map (lambda (f) (f 10 3)) table))
(print (filter number? [1 "a" 2.5 'b]) (map string-length ["ab" "" "xyz"]))
(print (fold string-concat "" ["a" "b" "c"]) ((if true + -) 5 3))
