; basic string builtins
(print "hello" (string-length "hello") (string-length ""))
(print (string-concat "ab" "cd" "ef") (concat "x" "y") (string-concat "solo"))
(print (substring "hello" 1 3) (substring "hello" 0 5) (string-length (substring "hello" 2 2)))
(print (= "abc" "abc") (= "abc" "abd") (string? "s") (string? 's))
(print ["a" "b"] (list "x y" 1))
(define s "")
(dotimes (i 10) (set! s (string-concat s (to-string i))))
(print s (string-length s))
