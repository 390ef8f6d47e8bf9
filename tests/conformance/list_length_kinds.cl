; length accepts lists, vectors and strings
(print (length [1 2 3]) (length (vector 1 2)) (length "abcd") (length ""))
(print (length (vector)) (length "日本") (length '(a (b c))))
