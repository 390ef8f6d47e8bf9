; captured-by-value vs cells: only `n` (mutated after capture) needs a cell
(define (make-counter start)
  (let ((n start) (step 1))
    (lambda () (set! n (+ n step)) n)))
(define (evens-odds)
  (let ((even? (lambda (k) (if (= k 0) true (odd? (- k 1)))))
        (odd? (lambda (k) (if (= k 0) false (even? (- k 1))))))
    (even? 10)))
(print ((make-counter 5)) (evens-odds))
