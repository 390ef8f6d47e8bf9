; nested lists print recursively, strings inside them quoted
(print [[1 2] [] [[3]]])
(print (list "a" 'b 1.5 nil true))
(print (to-string [1 [2 "s"]]))
(print (cons [1] [[2]]))
(print (list (list (list))))
