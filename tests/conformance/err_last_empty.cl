; last of the empty list is a runtime error
(print (last [1 2]))
(print (last (filter (lambda (x) (> x 5)) [1 2])))
