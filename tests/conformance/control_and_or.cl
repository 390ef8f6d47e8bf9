; and/or short-circuit and yield the deciding value
(print (and 1 2 3) (and 1 false 3) (and 1 nil 3) (and))
(print (or nil false) (or false nil) (or nil 5 6) (or))
(print (and [] 0 "x") (or false []))
(define hits 0)
(define (hit v) (set! hits (+ hits 1)) v)
(print (and (hit false) (hit true)) (or (hit 7) (hit 8)) hits)
(print (and true (list 1 2)) (or 0 'never))
(print (and 1) (or false))
