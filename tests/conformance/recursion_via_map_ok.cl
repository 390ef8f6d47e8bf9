; recursion through map 30000 levels deep succeeds
(define (nest n)
  (if (= n 0)
      0
      (+ 1 (head (map (lambda (k) (+ 0 (nest k))) [(- n 1)])))))
(print (nest 30000))
(define (tree-size t)
  (if (list? t) (+ 1 (fold + 0 (map tree-size t))) 1))
(print (tree-size [1 [2 3] [[4] 5] []]))
