; Allocation past the collection threshold: the JSON trace records each
; collection's start and end beside the tier events.
(define (churn n acc)
  (if (= n 0) (length acc) (churn (- n 1) (if (< (length acc) 100) (cons n acc) '()))))
(define (burn k) (if (> k 0) (begin (list k k k k k k k k) (burn (- k 1))) 'done))
(print (burn 150000) (churn 10 '()))
