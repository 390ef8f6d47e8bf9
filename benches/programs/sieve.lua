local function sieve(n)
  local flags = {}
  for k = 0, n do flags[k] = true end
  local count, i = 0, 2
  while i <= n do
    if flags[i] then
      count = count + 1
      local j = i * i
      while j <= n do flags[j] = false; j = j + i end
    end
    i = i + 1
  end
  return count
end
local total = 0
for r = 1, 10 do total = total + sieve(1000000) end
print(total)
