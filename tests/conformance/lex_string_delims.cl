; delimiters and comment characters inside strings are ordinary text
(print "a;b" "(paren)" "[bracket]" "comma,here" "'quote")
; a comment with a " double quote in it
(print (string-length "a;b") (string-length "x,y") (string-length "  "))
(print ["a;b" "c,d"])
