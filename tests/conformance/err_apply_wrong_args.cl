; apply checks the argument count of the function it calls
(define (pair a b) (list a b))
(print (apply pair [1 2]))
(print (apply pair [1 2 3]))
