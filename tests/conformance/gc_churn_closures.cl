; a million short-lived closures
(define (make-adder n) (lambda (x) (+ x n)))
(define total 0)
(dotimes (i 1000000)
  (set! total ((make-adder i) total)))
(print total)
