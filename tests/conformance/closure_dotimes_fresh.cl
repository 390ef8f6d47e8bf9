; dotimes gives each iteration a fresh binding that closures capture
(define fns [])
(dotimes (i 4)
  (set! fns (cons (lambda () (* i 10)) fns)))
(print (map (lambda (f) (f)) (reverse fns)))
(define v (make-vector 3 nil))
(dotimes (j 3) (vector-set! v j (lambda () j)))
(print ((vector-ref v 0)) ((vector-ref v 1)) ((vector-ref v 2)))
