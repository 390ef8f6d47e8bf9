; match: list patterns with rest, cons, literals, quote, effects
(define (describe x)
  (match x
    ([] "empty")
    ([a] (string-concat "one " (to-string a)))
    ([1 ...rest] rest)
    ((cons h _) h)
    ("s" 's)
    (_ nil)))
(io:print (describe [1 2 3]) (describe "s") '(a [b c]))
