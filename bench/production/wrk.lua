-- wrk script for bench/production: one of four cases, chosen by the first argument.
--   wrk … -s bench/production/wrk.lua http://127.0.0.1:<port> -- <case> <session token> <service key> <ids dir> <owner id>
--   get:            GET /api/posts/<random published id>, as the signed-in owner
--   list:           GET /api/posts?published=eq.true&order=createdAt.desc&limit=20, as the owner
--   create-owner:   POST /api/posts as the owner, authorId = the owner (the create policy admits it)
--   create-service: POST /api/posts with the service key, authorId = a random user
-- done() prints one line, "BENCH_RESULT {json}", that run.ts reads (as bench/rest/wrk.ts parses).

local mode, owner
local published_ids, user_ids
local counter = 0

local function read_lines(file)
  local lines = {}
  for line in io.lines(file) do
    if #line > 0 then lines[#lines + 1] = line end
  end
  assert(#lines > 0, "no ids in " .. file)
  return lines
end

-- Runs once per wrk thread, in that thread's own Lua state.
function init(args)
  local session, key, dir
  mode, session, key, dir, owner = args[1], args[2], args[3], args[4], args[5]
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 100000)
  if mode == "get" then
    published_ids = read_lines(dir .. "/published-ids.txt")
  elseif mode == "list" then
    wrk.path = "/api/posts?published=eq.true&order=createdAt.desc&limit=20"
  elseif mode == "create-owner" or mode == "create-service" then
    user_ids = read_lines(dir .. "/user-ids.txt")
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  else
    error("case must be get, list, create-owner or create-service")
  end
  wrk.headers["Authorization"] = "Bearer " .. (mode == "create-service" and key or session)
end

function request()
  if mode == "get" then
    return wrk.format(nil, "/api/posts/" .. published_ids[math.random(#published_ids)])
  elseif mode == "list" then
    return wrk.format(nil, wrk.path)
  end
  counter = counter + 1
  local author = mode == "create-owner" and owner or user_ids[math.random(#user_ids)]
  local body = string.format('{"authorId":"%s","title":"Bench post %d","body":"Created by the benchmark.","published":%s}',
    author, counter, math.random(2) == 1 and "true" or "false")
  return wrk.format(nil, "/api/posts", nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
