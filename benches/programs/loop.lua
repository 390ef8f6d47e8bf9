local function sum_to(n)
  local i, acc = 0, 0
  while i < n do acc = acc + i; i = i + 1 end
  return acc
end
print(sum_to(100000000))
