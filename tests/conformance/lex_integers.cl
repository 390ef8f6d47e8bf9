; integer literals: decimal, hexadecimal, negative, leading zeros
(print 0x1F 0xff 0xAb 0x0)
(print 0x7FFFFFFFFFFFFFFF)
(print -42 007 -0 0)
(print 9223372036854775807 -9223372036854775808)
(print (int? 0x10) (int? -5) (= 0x10 16))
