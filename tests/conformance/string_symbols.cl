; conversions between strings and symbols
(print (string->symbol "abc") (symbol? (string->symbol "abc")) (symbol->string 'xyz))
(print (string? (symbol->string 'xyz)) (= (string->symbol "q") 'q) (eq? (string->symbol "q") 'q))
(print (string-length (symbol->string 'hello-world)))
(print (list (string->symbol "k") "k"))
