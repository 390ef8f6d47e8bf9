; string->number returns nil for text that is not a number literal; to-string
(print (string->number "42") (string->number "-7") (string->number "3.5") (string->number "1e3"))
(print (string->number "abc") (string->number "") (string->number "12abc") (string->number "0x1F"))
(print (int? (string->number "10")) (float? (string->number "10.0")))
(print (to-string 42) (to-string -1.5) (to-string "raw") (to-string 'sym) (to-string nil))
(print (string-length (to-string 12345)) (to-string true) (string? (to-string 1)))
(print (+ 1 (string->number (to-string 41))))
