; Too few arguments for a rest-parameter function, from hot code: the
; interpreter's arity error, in every tier.
(define (count-rest a . more) (+ a (length more)))
(define (call-with k)
  (if (= k 0) (count-rest) (count-rest k k)))
(define (run n)
  (let ((s 0))
    (dotimes (i n) (set! s (+ s (call-with (- 2999 i)))))
    s))
(print (run 2000))
(print (run 3000))
