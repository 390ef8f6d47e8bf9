; mutual non-tail recursion past the frame limit
(define (ping n) (if (= n 0) 0 (+ 1 (pong (- n 1)))))
(define (pong n) (if (= n 0) 0 (+ 1 (ping (- n 1)))))
(print (ping 10))
(print (ping 300000))
