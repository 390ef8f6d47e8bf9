; a million short-lived strings
(define count 0)
(dotimes (i 1000000)
  (let ((s (string-concat "item-" (to-string i))))
    (if (= (string-length s) 10) (set! count (+ count 1)))))
(print count)
