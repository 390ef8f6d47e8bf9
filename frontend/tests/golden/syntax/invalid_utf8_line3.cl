(define λ 1)

(λ "�(")
