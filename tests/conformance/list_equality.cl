; = compares lists structurally; [] is distinct from nil
(print (= [1 2 3] [1 2 3]) (= [1 2] [1 2 3]) (= [] []) (= [[1] 2] [[1] 2]))
(print (= [] nil) (nil? []) (empty? []) (list? []) (list? nil))
(print (= (list 1 "a") [1 "a"]) (!= [1] [2]) (= ['a] ['b]) (== [1 [2]] [1 [2]]))
(print (= (cons 1 []) [1]) (= (range 3) [0 1 2]))
