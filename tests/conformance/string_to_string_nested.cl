; to-string of nested structures uses the printed form
(define s (to-string [1 "two" (vector 3 'four) [] nil 2.5]))
(print s)
(print (string-length s))
(print (to-string (vector)) (to-string []))
(print (string-concat "n=" (to-string 5) ", v=" (to-string (vector 1 "x"))))
