; a million short-lived lists
(define (churn n)
  (let ((total 0))
    (dotimes (i n)
      (let ((xs (list i (+ i 1) (+ i 2))))
        (set! total (+ total (length xs)))))
    total))
(print (churn 1000000))
