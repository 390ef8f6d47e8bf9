; a function may refer to a global that is defined later in the file
(define (f x) (g (+ x 1)))
(define (g y) (* y 2))
(print (f 3))
(define (uses-later) later-var)
(define later-var 'ok)
(print (uses-later))
