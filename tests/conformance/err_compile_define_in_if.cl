; define inside an if branch is a compile error: nothing runs
(print "this must not print")
(define x 1)
(if (> x 0)
    (define y 2)
    (print "no"))
