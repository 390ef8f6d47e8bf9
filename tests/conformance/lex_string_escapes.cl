; every string escape
(print "tab:\there")
(print "quote:\" backslash:\\")
(print "line1\nline2")
(print (string-length "a\0b") (string-length "\r\n") (string-length "\\"))
(print "\u{48}\u{49} \u{e9} \u{1F600}")
(print (string-length "\u{1F600}") (= "\u{e9}" "é") (= "\u{41}" "A"))
(print (string-length "\"\"") (string-length "a\tb"))
