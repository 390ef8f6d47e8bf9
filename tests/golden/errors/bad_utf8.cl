(print "ok")
(print "ÿþ")
