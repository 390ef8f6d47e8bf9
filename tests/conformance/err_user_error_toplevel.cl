; error at top level with a single message
(print "about to fail")
(error "custom failure")
(print "unreachable")
