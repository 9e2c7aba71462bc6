-- wrk script for scripts/load-test.sh: GET /api/nearest at query points spread over
-- Central Asia (lon 46..88, lat 35..56), a different sequence in every wrk thread.
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  math.randomseed(1000 + (seed or 0))
  local extra = args[1] or ""
  paths = {}
  for i = 1, 10000 do
    local lon = 46 + math.random() * 42
    local lat = 35 + math.random() * 21
    paths[i] = string.format("/api/nearest?lon=%.5f&lat=%.5f%s", lon, lat, extra)
  end
  next_path = 1
end

function request()
  local path = paths[next_path]
  next_path = next_path % #paths + 1
  return wrk.format("GET", path)
end
