(print "\u{D800}")
