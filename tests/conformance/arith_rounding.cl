; floor/ceil/round: ints unchanged, floats stay floats, round halves away from zero
(print (floor 3) (ceil -3) (round 7) (int? (floor 3)) (int? (round -2)))
(print (floor 2.7) (floor -2.7) (ceil 2.1) (ceil -2.1))
(print (round 2.5) (round -2.5) (round 0.5) (round 1.5) (round 2.4999) (round -0.6))
(print (float? (round 2.0)) (round 1e20) (floor 5.0) (ceil 5.0))
