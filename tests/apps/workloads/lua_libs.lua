-- lua 5.4: string, table, math, coroutine, io (files under /tmp), os, utf8; error handling
-- and metatables. arg[1] is a scratch path prefix (the same string on both sides).
local T = assert(arg[1], "scratch prefix")
print(_VERSION, math.type(1), math.type(1.0), 7 // 2, 7 / 2, 2^53, -7 // 2, -7 % 3, 7.5 % 2)

print("== string")
local s = "The quick brown fox"
print(#s, s:upper(), s:lower():rep(2, "|"), s:sub(5, 9), s:sub(-3))
print(s:find("quick"), s:find("o", 1, true), s:match("(%a+) fox"), s:byte(1, 3))
print(s:gsub("%w+", function(w) return w:reverse() end))
print(("x = %d, y = %5.2f, s = %q, h = %x, e = %.3e, g = %g"):format(42, math.pi, "a\nb\"c", 255, 12345.678, 1e20))
for k, v in ("a=1, b=2, c=3"):gmatch("(%w+)=(%w+)") do io.write(k, v, ";") end print()
print(string.pack("<i4d", 7, 0.5):byte(1, -1))
print(string.unpack("<i4d", string.pack("<i4d", -9, 2.25)))
print(("%s|%10s|%-10s|"):format(true, "right", "left"), tostring(nil), tonumber("0x10"), tonumber("z", 36), tonumber("1e3"))
print(string.format("%.14g", 0.1 + 0.2), 1e308 * 10, -(0/0) ~= -(0/0), math.maxinteger + 1 == math.mininteger)

print("== table")
local t = {5, 3, 8, 1, 9, 2}
table.sort(t); print(table.concat(t, ","))
table.sort(t, function(a, b) return a > b end); print(table.concat(t, ","))
table.insert(t, 1, 100); table.insert(t, 7); print(table.remove(t), table.remove(t, 1), #t)
print(table.unpack(table.move({1, 2, 3}, 1, 3, 2, {9})))
local p = table.pack(1, nil, 3); print(p.n, select("#", 1, nil, 3), select(2, "a", "b", "c"))
local words = {}
for w in ("the rain in spain falls mainly on the plain"):gmatch("%a+") do words[w] = (words[w] or 0) + 1 end
local keys = {} for k in pairs(words) do keys[#keys + 1] = k end table.sort(keys)
for _, k in ipairs(keys) do io.write(k, "=", words[k], " ") end print()

print("== math")
print(math.floor(3.7), math.ceil(-3.2), math.abs(-4), math.max(1, 9, 3), math.min(2.5, -1))
print(math.sqrt(2), math.sin(math.pi / 6), math.exp(1), math.log(8, 2), math.log(100, 10), math.fmod(7, -3))
print(math.tointeger(3.0), math.tointeger(3.5), math.ult(1, -1), math.huge, -math.huge, math.maxinteger, math.mininteger)
math.randomseed(42); local r = {} for i = 1, 5 do r[i] = math.random(1, 100) end print(table.concat(r, " "))
print(3 & 5, 3 | 5, 3 ~ 5, ~0, 1 << 62, 256 >> 4, 3 == 3.0, "10" + 5, 10 .. 20)

print("== coroutine")
local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i * i) end return "done" end)
print(gen(), gen(), gen(), gen())
local co = coroutine.create(function(a, b)
  local c = coroutine.yield(a + b); local d, e = coroutine.yield(c * 2); return d + e end)
print(coroutine.resume(co, 1, 2)); print(coroutine.resume(co, 10)); print(coroutine.resume(co, 3, 4))
print(coroutine.status(co), coroutine.resume(co))
local function producer() return coroutine.create(function() for _, v in ipairs({"a", "b", "c"}) do coroutine.yield(v) end end) end
local pr = producer(); local got = {}
while true do local ok, v = coroutine.resume(pr); if not v then break end got[#got + 1] = v end
print(table.concat(got), coroutine.isyieldable(), coroutine.running())

print("== io")
local name = T .. ".txt"
local f = assert(io.open(name, "w"))
for i = 1, 100 do f:write(i, "\t", ("x"):rep(i % 7), "\n") end
f:close()
local n, bytes = 0, 0
for l in io.lines(name) do n = n + 1; bytes = bytes + #l + 1 end
print("lines", n, "bytes", bytes)
f = assert(io.open(name, "r"))
print(f:read("n"), f:read("l"), f:read(3), f:seek("cur"), f:seek("end"), f:read("a") == "", f:read("l"))
f:seek("set", 0); print(#f:read("a")); f:close()
f = assert(io.open(name, "a")); f:write("appended\n"); f:close()
f = assert(io.open(name, "rb")); local all = f:read("a"); f:close(); print(#all, all:sub(-9))
f = assert(io.open(name, "r+")); f:seek("set", 2); f:write("##"); f:close()
for l in io.lines(name, "L") do io.write(l) break end
local nf, msg, code = io.open(T .. "/no/such/file"); print(nf, msg:sub(#T + 1), code)
print(io.type(f), io.type(io.stdout), io.type(42))
local big = T .. ".big"; f = assert(io.open(big, "w")); f:setvbuf("full", 8192)
for i = 1, 20000 do f:write(string.format("%08d\n", i)) end f:close()
f = assert(io.open(big)); local sum = 0; for l in f:lines() do sum = sum + tonumber(l) end f:close(); print("sum", sum)

print("== os")
print(os.time({year = 2024, month = 2, day = 29, hour = 12, isdst = false}) - os.time({year = 2024, month = 1, day = 1, hour = 12, isdst = false}))
print(os.date("!%Y-%m-%d %H:%M:%S %j %a %b", 86400 * 365), os.date("!*t", 0).year, os.time() > 1.6e9)
local c = os.clock(); print(type(c), c >= 0)
print(os.getenv("TEEOS_APP_VAR"), os.getenv("NO_SUCH_VARIABLE"))
print(os.rename(name, name .. ".moved")); print(io.open(name) == nil)
print(os.remove(name .. ".moved"), os.remove(big)); print(select(3, os.remove(name)))
print(os.difftime(10, 4), type(os.tmpname()))

print("== utf8, errors, metatables")
print(utf8.char(72, 228, 8364, 128512), utf8.len("häl€"), utf8.codepoint("€"), #utf8.char(128512))
for p, cp in utf8.codes("aé") do io.write(p, ":", cp, " ") end print()
print(pcall(error, {code = 7}), select(2, pcall(error, "msg", 0)), select(2, pcall(function() local x = nil; return x.y end)) ~= nil)
print(xpcall(function() error("deep") end, function(m) return "handled: " .. m:gsub("^.-:%d+: ", "") end))
local V = {}; V.__index = V
V.__add = function(a, b) return setmetatable({x = a.x + b.x}, V) end
V.__tostring = function(v) return "V(" .. v.x .. ")" end
V.__eq = function(a, b) return a.x == b.x end
V.__lt = function(a, b) return a.x < b.x end
V.__call = function(self, k) return self.x * k end
V.__len = function() return 99 end
local a, b = setmetatable({x = 1}, V), setmetatable({x = 2}, V)
print(tostring(a + b), a == b, a < b, a(10), #a, rawlen(a), rawequal(a, a))
local prox = setmetatable({}, {__index = function(_, k) return k .. "!" end, __newindex = function(t, k, v) rawset(t, k, v * 2) end})
prox.z = 21; print(prox.y, prox.z)
local weak = setmetatable({}, {__mode = "k"}); weak[{}] = 1; collectgarbage(); print(next(weak))
do local closed = setmetatable({}, {__close = function() print("closed <close>") end}); local x <close> = closed end
local fns = {} for i = 1, 3 do fns[i] = function() return i end end print(fns[1](), fns[2](), fns[3]())
goto skip; print("not printed") ::skip::
print(load("return 1 + ...")(41), load("syntax error here"))
print(string.format("%d", 3.0), pcall(string.format, "%d", 3.5))
os.exit(3)
