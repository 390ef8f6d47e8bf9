; error joins the printed forms of its arguments with spaces
(define (check x) (if (< x 0) (error "negative value:" x [1 "s"] 'sym 2.0) x))
(print (check 5))
(print (check -3))
