(print "hello
       world)
