; A runtime error raised inside compiled code: the report, then the table.
(define (inc x) (+ x 1))
(print (inc 41))
(print (inc 9223372036854775807))
