; (cons h t) matches a non-empty list
(define (len xs) (match xs ([] 0) ((cons _ t) (+ 1 (len t)))))
(print (len [1 2 3 4 5]))
(print (match [1 2 3] ((cons h t) (list h t))))
(print (match [[1 2] 3] ((cons (cons a b) rest) (list a b rest))))
(print (match [] ((cons h t) 'pair) (_ 'empty)))
(print (match [9] ((cons h t) (list h t))))
(print (match 5 ((cons h t) 'pair) (_ 'not-a-list)))
