(if true (define y 1) 2)
