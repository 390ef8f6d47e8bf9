(match [1 2] ([a] a) ([] 0))
