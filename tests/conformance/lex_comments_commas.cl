; a comment on the first line
(print 1, 2,3) ; a trailing comment
(print [1,2 , 3]) ;; two semicolons
;; (print "this line is commented out")
(print (+ 1,2))   ; commas are whitespace, even between arguments
(print ,,, "commas" ,,,)
; a comment at the end of the file
