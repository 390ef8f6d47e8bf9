; a global read before its define has run is undefined
(print "one")
(print later)
(define later 5)
