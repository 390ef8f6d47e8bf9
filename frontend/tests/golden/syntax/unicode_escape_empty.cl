(print "\u{}")
