; take/drop stop at the end of the list; the original list is unchanged
(define xs [1 2 3 4 5])
(print (take xs 2) (drop xs 2))
(print (take xs 10) (drop xs 10))
(print (take xs 0) (drop xs 0) (take [] 3) (drop [] 3))
(print (take xs 5) (drop xs 5))
(print xs)
