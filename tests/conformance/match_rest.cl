; [p1 ... ...rest] binds the remaining list to rest
(print (match [1 2 3 4] ([a ...rest] rest)))
(print (match [1] ([a ...rest] rest)))
(print (match [1 2 3] ([a b ...more] (list a b more))))
(print (match [1] ([a b ...more] 'long) (_ 'short)))
(print (match [] ([a ...rest] 'some) ([] 'none)))
(define (my-len xs) (match xs ([] 0) ([_ ...t] (+ 1 (my-len t)))))
(print (my-len (range 7)))
