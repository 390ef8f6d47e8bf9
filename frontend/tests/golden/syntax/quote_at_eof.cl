(define x 1)
'
