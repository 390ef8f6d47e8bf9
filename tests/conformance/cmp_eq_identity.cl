; eq? is value equality for numbers, booleans, nil and symbols,
; identity for strings, lists, vectors and functions
(define s (string-concat "ab" "c"))
(define t (string-concat "a" "bc"))
(print (= s t) (eq? s t) (eq? s s))
(print (eq? (list 1 2) (list 1 2)) (= (list 1 2) (list 1 2)))
(define xs (list 1 2))
(define ys xs)
(print (eq? xs xs) (eq? xs ys) (eq? 1 1) (eq? 'a 'a) (eq? nil nil) (eq? true true) (eq? 2.5 2.5))
(define (mk n) (lambda () n))
(define f (mk 1))
(print (eq? f f) (eq? (mk 1) (mk 1)) (eq? (vector 1) (vector 1)))
(print (eq? 1 2) (eq? 'a 'b) (eq? true false) (eq? nil false))
