; frames that map calls into count toward the limit:
; each level below is two ClaudeLang frames (nest and the lambda)
(define (nest n)
  (if (= n 0)
      0
      (+ 1 (head (map (lambda (k) (+ 0 (nest k))) [(- n 1)])))))
(print (nest 100))
(print (nest 70000))
