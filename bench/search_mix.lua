-- wrk script of bench/search_http.sh: each request is the next query of a list (one a line, the
-- fixed mix of bench/gen.py), sent as GET /api/v1/search?q=<query>; every wrk thread starts at
-- another point of the list. Usage: wrk ... -s bench/search_mix.lua URL -- QUERIES [EXTRA]
-- (EXTRA: query-string parameters appended to each request, e.g. "limit=20").

local paths = {}
local counter = 0

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  local file = args[1] or error("search_mix.lua: give the queries file after --")
  local extra = args[2] and args[2] ~= "" and ("&" .. args[2]) or ""
  for line in io.lines(file) do
    if line:match("%S") then
      paths[#paths + 1] = "/api/v1/search?q=" .. urlencode(line) .. extra
    end
  end
  if #paths == 0 then error("search_mix.lua: no query in " .. file) end
  -- threads start apart, so that they do not ask the same query at the same moment
  i = ((tid or 0) * math.floor(#paths / 2)) % #paths
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
