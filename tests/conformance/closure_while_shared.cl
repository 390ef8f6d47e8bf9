; closures made in a while loop all share the one let variable
(define fns [])
(let ((i 0))
  (while (< i 3)
    (set! fns (cons (lambda () i) fns))
    (set! i (+ i 1))))
(print (map (lambda (f) (f)) fns))
