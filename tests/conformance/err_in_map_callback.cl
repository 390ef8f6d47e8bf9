; an error inside a function that map calls reports the lambda's form
(print (map (lambda (x) (/ 10 x)) [1 2 5]))
(print (map (lambda (x) (/ 10 x)) [1 0 5]))
