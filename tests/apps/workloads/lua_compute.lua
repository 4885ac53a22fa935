-- lua 5.4: CPU-bound work (also the bench's lua workload): recursion, tables, strings, GC.
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print("fib(24)", fib(24))
local N = 30000
local sieve, count = {}, 0
for i = 2, N do if not sieve[i] then count = count + 1; for j = i * i, N, i do sieve[j] = true end end end
print("primes below " .. N, count)
local parts = {}
for i = 1, 5000 do parts[#parts + 1] = string.format("%04x", (i * 2654435761) % 65536) end
local str = table.concat(parts)
print("hex string", #str, str:sub(1, 16), select(2, str:gsub("ff", "")))
local t = {}
for i = 1, 20000 do t[i] = (i * 7919) % 10007 end
table.sort(t)
print("sorted", t[1], t[10000], t[20000])
local m = {}
for i = 1, 200 do m[i] = {} for j = 1, 200 do m[i][j] = (i * j) % 17 end end
local tr = 0 for i = 1, 200 do tr = tr + m[i][i] end
print("trace", tr)
local objs = 0
for i = 1, 50000 do local o = {i, tostring(i)}; objs = objs + #o[2] end
print("objects", objs, collectgarbage("count") > 0)
