; lengths and indices count Unicode scalar values, not bytes
(define s "héllo wörld")
(print s (string-length s))
(print (substring s 1 4) (substring "日本語テキスト" 2 4))
(print (string-length "😀👍") (substring "a😀b" 1 2))
(print (length "naïve") (string-length "\u{1F600}x"))
(print (string-concat "日本" "語") ["ü"])
(print (string-split "α,β,γ" ",") (string-join ["ä" "ö"] "·"))
