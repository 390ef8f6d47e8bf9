; boolean and nil literals, both spellings of the booleans
(print true false #t #f nil)
(print (= #t true) (= #f false) (bool? #t) (bool? #f) (nil? nil))
(print [true #f nil])
(print (if #f 'yes 'no) (if #t 'yes 'no))
