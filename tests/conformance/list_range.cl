; (range e) is 0 .. e-1 and (range b e) is b .. e-1
(print (range 5) (range 2 5) (range 0) (range -2 2))
(print (range 5 2) (range 3 3) (length (range 1000)))
(print (fold + 0 (range 101)) (last (range 10 20)))
