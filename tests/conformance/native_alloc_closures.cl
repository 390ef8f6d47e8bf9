; closures and cells created in hot loops (Closure, NewCell): native code
; creates them itself now; captures must be exactly the interpreter's

; capturing the loop variable (a fresh binding per iteration) and a local
(define (adders n)
  (let ((fs []) (k 100))
    (dotimes (i n)
      (set! fs (cons (lambda (x) (+ x i k)) fs)))
    fs))
(define fs (adders 30000))
(print (length fs) ((car fs) 1) ((nth fs 29999) 1) (fold (lambda (acc f) (+ acc (f 0))) 0 fs))

; captured and assigned: each iteration's counter lives in its own cell
(define (counters n)
  (let ((cs []))
    (dotimes (i n)
      (let ((c i))
        (set! cs (cons (lambda () (set! c (+ c 1)) c) cs))))
    cs))
(define cs (counters 20000))
(print ((car cs)) ((car cs)) ((nth cs 19999)) ((nth cs 5000)) ((nth cs 5000)))

; one cell shared by every closure made in the loop, mutated from inside
; and outside them
(define (shared n)
  (let ((total 0) (bump nil))
    (dotimes (i n)
      (set! bump (lambda (d) (set! total (+ total d)) total))
      (bump i)
      (set! total (+ total 1)))
    (list total (bump 0))))
(print (shared 150000))

; nested closures: the inner lambda captures the outer one's upvalues and
; its own parameter; both are created on every iteration
(define (nest n)
  (let ((acc 0) (m 7))
    (dotimes (i n)
      (let ((outer (lambda (a) (lambda (b) (+ a b i m)))))
        (set! acc (+ acc ((outer i) 1)))))
    acc))
(print (nest 150000))

; three levels, with a cell at the outermost level mutated at the innermost
(define (deep n)
  (let ((hits 0))
    (dotimes (i n)
      ((((lambda (x) (lambda (y) (lambda () (set! hits (+ hits x y)) hits))) i) 1)))
    (let ((f (((lambda (x) (lambda (y) (lambda () (set! hits (+ hits x y)) hits))) 0) 1)))
      (list hits (f) (f)))))
(print (deep 150000))

; local recursive functions (a cell holding the closure that captures it)
(define (sum-digits-all n)
  (let ((total 0))
    (dotimes (i n)
      (let ((go (lambda (k acc) (if (= k 0) acc (go (/ (- k (rem k 10)) 10) (+ acc (rem k 10)))))))
        (set! total (+ total (go i 0)))))
    total))
(print (sum-digits-all 100000))

; a closure escaping from each iteration into a vector, called later
(define v (make-vector 10 nil))
(define (fill n)
  (dotimes (i n)
    (let ((sq (* i i)))
      (vector-set! v (mod i 10) (lambda () (list i sq))))))
(fill 25000)
(print (map (lambda (k) ((vector-ref v k))) (range 0 10)))

; a parameter captured and assigned moves into a cell on entry
(define (make-acc start) (lambda (d) (set! start (+ start d)) start))
(define (use-accs n)
  (let ((s 0))
    (dotimes (i n)
      (let ((a (make-acc i)))
        (a 1)
        (set! s (+ s (a 1)))))
    s))
(print (use-accs 150000))
