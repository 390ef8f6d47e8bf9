; builtins check their argument count too
(print (cons 1 [2]))
(print (cons 1))
