; only false and nil are false
(define (truthy? v) (if v 'T 'F))
(print (truthy? false) (truthy? nil) (truthy? true) (truthy? 0) (truthy? 0.0) (truthy? "") (truthy? []) (truthy? (vector)) (truthy? 'sym))
(print (not nil) (not false) (not 0) (not []) (not "") (not true))
(print (empty? []) (empty? [1]) (nil? []) (nil? false))
(print (cond (0 'zero-is-true)) (while nil 1))
