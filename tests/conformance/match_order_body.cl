; the first matching arm wins; an arm body is a sequence of forms
(define (f x)
  (match x
    (_ 'first)
    (1 'second)))
(print (f 1))
(print (match 3 (y (print "body" y) (* y y))))
(print (match "abc" ("abc" 1) ("abc" 2)))
(define (kind v)
  (match v
    ([x] (string-concat "one:" (to-string x)))
    ([x y] "two")
    ((cons h t) "many")
    (_ "atom")))
(print (kind [9]) (kind [1 2]) (kind [1 2 3]) (kind 5))
