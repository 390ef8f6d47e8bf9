(define (f x)
  (let ((y [x 1)))
    y))
