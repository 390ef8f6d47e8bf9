; n-body: the classic 5-body (Sun + Jovian planets) simulation, symplectic
; Euler steps of dt = 0.01. Each body is a vector of 7 floats
; [x y z vx vy vz mass]; float arithmetic, sqrt, nested vector access.
; Prints the total energy before and after the run (C twin: c/nbody.c).
(define pi 3.141592653589793)
(define solar-mass (* 4.0 pi pi))
(define days-per-year 365.24)

(define (body x y z vx vy vz mass)
  (vector x y z (* vx days-per-year) (* vy days-per-year) (* vz days-per-year)
          (* mass solar-mass)))

(define bodies
  (vector
   (body 0.0 0.0 0.0 0.0 0.0 0.0 1.0)
   (body 4.84143144246472090e+00 -1.16032004402742839e+00 -1.03622044471123109e-01
         1.66007664274403694e-03 7.69901118419740425e-03 -6.90460016972063023e-05
         9.54791938424326609e-04)
   (body 8.34336671824457987e+00 4.12479856412430479e+00 -4.03523417114321381e-01
         -2.76742510726862411e-03 4.99852801234917238e-03 2.30417297573763929e-05
         2.85885980666130812e-04)
   (body 1.28943695621391310e+01 -1.51111514016986312e+01 -2.23307578892655734e-01
         2.96460137564761618e-03 2.37847173959480950e-03 -2.96589568540237556e-05
         4.36624404335156298e-05)
   (body 1.53796971148509165e+01 -2.59193146099879641e+01 1.79258772950371181e-01
         2.68067772490389322e-03 1.62824170038242295e-03 -9.51592254519715870e-05
         5.15138902046611451e-05)))

(define n-bodies (vector-length bodies))

; Give the Sun the momentum that makes the system's total momentum zero.
(define (offset-momentum)
  (let ((px 0.0) (py 0.0) (pz 0.0))
    (dotimes (i n-bodies)
      (let ((b (vector-ref bodies i)))
        (set! px (+ px (* (vector-ref b 3) (vector-ref b 6))))
        (set! py (+ py (* (vector-ref b 4) (vector-ref b 6))))
        (set! pz (+ pz (* (vector-ref b 5) (vector-ref b 6))))))
    (let ((sun (vector-ref bodies 0)))
      (vector-set! sun 3 (/ (- px) solar-mass))
      (vector-set! sun 4 (/ (- py) solar-mass))
      (vector-set! sun 5 (/ (- pz) solar-mass)))))

(define (energy)
  (let ((e 0.0) (i 0))
    (while (< i n-bodies)
      (let ((b (vector-ref bodies i)) (j (+ i 1)))
        (let ((vx (vector-ref b 3)) (vy (vector-ref b 4)) (vz (vector-ref b 5)))
          (set! e (+ e (* 0.5 (vector-ref b 6) (+ (* vx vx) (* vy vy) (* vz vz))))))
        (while (< j n-bodies)
          (let ((b2 (vector-ref bodies j)))
            (let ((dx (- (vector-ref b 0) (vector-ref b2 0)))
                  (dy (- (vector-ref b 1) (vector-ref b2 1)))
                  (dz (- (vector-ref b 2) (vector-ref b2 2))))
              (set! e (- e (/ (* (vector-ref b 6) (vector-ref b2 6))
                              (sqrt (+ (* dx dx) (* dy dy) (* dz dz))))))))
          (set! j (+ j 1))))
      (set! i (+ i 1)))
    e))

(define (advance dt)
  (let ((i 0))
    (while (< i n-bodies)
      (let ((b (vector-ref bodies i)) (j (+ i 1)))
        (while (< j n-bodies)
          (let ((b2 (vector-ref bodies j)))
            (let ((dx (- (vector-ref b 0) (vector-ref b2 0)))
                  (dy (- (vector-ref b 1) (vector-ref b2 1)))
                  (dz (- (vector-ref b 2) (vector-ref b2 2))))
              (let ((dsq (+ (* dx dx) (* dy dy) (* dz dz))))
                (let ((mag (/ dt (* dsq (sqrt dsq))))
                      (m (vector-ref b 6))
                      (m2 (vector-ref b2 6)))
                  (vector-set! b 3 (- (vector-ref b 3) (* dx m2 mag)))
                  (vector-set! b 4 (- (vector-ref b 4) (* dy m2 mag)))
                  (vector-set! b 5 (- (vector-ref b 5) (* dz m2 mag)))
                  (vector-set! b2 3 (+ (vector-ref b2 3) (* dx m mag)))
                  (vector-set! b2 4 (+ (vector-ref b2 4) (* dy m mag)))
                  (vector-set! b2 5 (+ (vector-ref b2 5) (* dz m mag)))))))
          (set! j (+ j 1))))
      (set! i (+ i 1)))
    (set! i 0)
    (while (< i n-bodies)
      (let ((b (vector-ref bodies i)))
        (vector-set! b 0 (+ (vector-ref b 0) (* dt (vector-ref b 3))))
        (vector-set! b 1 (+ (vector-ref b 1) (* dt (vector-ref b 4))))
        (vector-set! b 2 (+ (vector-ref b 2) (* dt (vector-ref b 5)))))
      (set! i (+ i 1)))))

(offset-momentum)
(print (energy))
(dotimes (s 150000) (advance 0.01))
(print (energy))
