; quicksort with match, filter and append
(define (qsort xs)
  (match xs
    ([] [])
    ((cons p rest)
     (append (qsort (filter (lambda (x) (< x p)) rest))
             (cons p (qsort (filter (lambda (x) (>= x p)) rest)))))))
(print (qsort [3 1 4 1 5 9 2 6 5 3 5]))
(print (qsort []) (qsort [2.5 -1 2]))
