; integer rem by zero
(print (rem -10 3))
(let ((d 0))
  (print (rem 7 d)))
