; literal patterns: numbers, strings, booleans, nil; _ matches anything
(define (classify x)
  (match x
    (0 'zero)
    (1.5 'one-and-a-half)
    ("hi" 'greeting)
    (true 'yes)
    (false 'no)
    (nil 'nothing)
    (_ 'other)))
(print (classify 0) (classify 1.5) (classify "hi") (classify true) (classify false))
(print (classify nil) (classify 7) (classify "ho") (classify []) (classify 'hi))
(print (match -3 (-3 'neg3) (_ 'other)))
