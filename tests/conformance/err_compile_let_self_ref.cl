; let is recursive, so x here is the new x: a compile error, even with a global x
(define x 1)
(print "this must not print")
(let ((x (+ x 1)))
  (print x))
