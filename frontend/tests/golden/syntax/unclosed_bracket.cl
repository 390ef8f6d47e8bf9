(define xs [1 2
  [3 4]
