; list construction and access
(print (list 1 2 3) (list) [] (cons 0 [1 2]))
(print (head [1 2 3]) (tail [1 2 3]) (car '(a b)) (cdr '(a b)))
(print (tail [1]) (length [1 2 3]) (length []))
(print (nth [10 20 30] 0) (nth [10 20 30] 2) (last [1 2 3]) (last [7]))
(print (append [1 2] [3 4]) (append [] [1]) (append [1] []))
(print (reverse [1 2 3]) (reverse []))
(print [1 (+ 1 1) [3 4]] (cons [] []))
