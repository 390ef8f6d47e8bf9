; float literals: with a fraction, with an exponent, or both
(print 1.5 -2.25 0.5 10.0)
(print 1.0e3 2E2 1e-2 1.5e+2 -3e0 5e0)
(print 2.5E-3 1e2 -1.25e1)
(print (float? 1e2) (float? 1.0) (float? 3) (int? 3.0))
