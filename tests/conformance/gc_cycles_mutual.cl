; pairs of mutually recursive closures (a reference cycle), created 200,000 times
(define n 0)
(dotimes (i 200000)
  (let ((ping (lambda (k) (if (= k 0) 'p (pong (- k 1)))))
        (pong (lambda (k) (if (= k 0) 'q (ping (- k 1))))))
    (if (= (ping 3) 'q) (set! n (+ n 1)))))
(print n)
