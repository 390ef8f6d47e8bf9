; the product does not fit in an i64
(print (* 3037000499 3037000499))
(print (* 3037000500 3037000500))
