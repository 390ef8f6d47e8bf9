; head of the empty list is a runtime error
(print (head [1]))
(define xs [])
(print (head xs))
