; apply and identity
(print (apply + [1 2 3]) (apply max [4 9 2]) (apply list []))
(define (f a b . c) (list a b c))
(print (apply f [1 2 3 4]) (apply f [1 2]))
(print (identity 5) (identity [1 2]) (map identity ["a" "b"]))
(print (apply (lambda (x y) (- x y)) [10 3]))
(print (apply string-concat ["x" "y" "z"]) (identity identity))
