; non-tail recursion 200000 deep exceeds the default limit of 100,000 frames
(define (depth n) (if (= n 0) 0 (+ 1 (depth (- n 1)))))
(print (depth 1000))
(print (depth 200000))
(print "unreachable")
