; Functions with rest parameters called from hot code with varying
; numbers of arguments: native callers collect the extra arguments into
; the rest list themselves (as the interpreter does).
(define (count-rest a . more) (+ a (length more)))
(define (sum-rest . xs) (fold + 0 xs))
(define (run n)
  (let ((s 0))
    (dotimes (i n)
      (set! s (+ s (count-rest i) (count-rest 1 2) (count-rest 0 1 2 3)
                 (sum-rest) (sum-rest i i) (sum-rest 1 2 3 4 5))))
    s))
(print (run 3000))
; map with several lists is the prelude's rest-parameter path.
(define (zip-sum n)
  (let ((s 0) (xs (range 0 10)) (ys (range 10 20)))
    (dotimes (i n) (set! s (+ s (fold + 0 (map + xs ys)))))
    s))
(print (zip-sum 2000))
; The rest list is a fresh list on every call.
(define (keep . xs) xs)
(define (collect n)
  (let ((acc []))
    (dotimes (i n) (set! acc (cons (keep i (* 2 i)) acc)))
    (list (length acc) (head acc) (last acc))))
(print (collect 5000))
