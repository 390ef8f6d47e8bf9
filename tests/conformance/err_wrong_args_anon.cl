; an anonymous function called with the wrong number of arguments
(define fs (list (lambda (x) (* x 2))))
(print ((head fs) 21))
(print ((head fs)))
