; negative zero prints as -0.0 (as Rust's {:?} does)
(print -0.0 (* -1.0 0.0) (- 0.0))
(print (= 0.0 -0.0) (ceil -0.5) (round -0.4))
(print [-0.0] (to-string (* 0.0 -5)))
