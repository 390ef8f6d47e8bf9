(list 1 ')
