; the CLI prints only what the program prints, never the program's value
(define x 42)
(+ x 1)
"a string value"
[1 2 3]
(lambda (y) y)
