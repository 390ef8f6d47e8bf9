; nth past the end of a list is an error
(define xs [10 20])
(print (nth xs 1))
(print (nth xs 2))
