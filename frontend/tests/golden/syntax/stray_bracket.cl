(define x 1)
]
