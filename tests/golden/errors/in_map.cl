; an error inside a function called by the builtin map: located at the
; user's form, with map in the trace
(map (lambda (x) (/ 10 x)) [1 0])
