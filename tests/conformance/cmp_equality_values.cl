; = on non-numbers compares structurally; values of different kinds are not equal
(print (= "a" "a") (= 'a 'a) (= nil nil) (= true true) (= false false))
(print (= 1 "1") (= 'a "a") (= nil false) (= 0 false) (= "" []))
(print (= (vector 1 [2]) (vector 1 [2])) (= (vector 1) (vector 2)) (!= "x" "y"))
(print (= (string-concat "ab" "c") "abc") (== 'sym (string->symbol "sym")))
