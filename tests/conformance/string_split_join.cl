; string-split and string-join
(print (string-split "a,b,c" ","))
(print (string-split "one two" " ") (string-split "nosep" ","))
(print (string-join ["x" "y" "z"] "-") (string-join ["solo"] ", ") (string-length (string-join [] "+")))
(print (string-join (string-split "2024-01-15" "-") "/"))
(print (string-split "a::b" "::") (string-join ["a" "b"] ""))
(print (length (string-split "k1=v1;k2=v2;k3=v3" ";")))
