-- wrk script for bench/rest: one of three cases, chosen by the first argument.
--   wrk … -s bench/rest/wrk.lua http://127.0.0.1:<port> -- <case> <service key> <ids dir>
--   get:    GET /api/tasks/<random seeded id>
--   list:   GET /api/tasks?status=eq.todo&order=createdAt.desc&limit=20
--   create: POST /api/tasks with a JSON body (random project and creator)
-- done() prints one line, "BENCH_RESULT {json}", that run.ts reads.

local mode, key, dir

local function read_lines(file)
  local lines = {}
  for line in io.lines(file) do
    if #line > 0 then lines[#lines + 1] = line end
  end
  assert(#lines > 0, "no ids in " .. file)
  return lines
end

local task_ids, project_ids, user_ids
local counter = 0

-- Runs once per wrk thread, in that thread's own Lua state.
function init(args)
  mode, key, dir = args[1], args[2], args[3]
  assert(mode == "get" or mode == "list" or mode == "create", "case must be get, list or create")
  wrk.headers["Authorization"] = "Bearer " .. key
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 100000)
  if mode == "get" then
    task_ids = read_lines(dir .. "/task-ids.txt")
  elseif mode == "list" then
    wrk.path = "/api/tasks?status=eq.todo&order=createdAt.desc&limit=20"
  else
    project_ids = read_lines(dir .. "/project-ids.txt")
    user_ids = read_lines(dir .. "/user-ids.txt")
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  end
end

function request()
  if mode == "get" then
    return wrk.format(nil, "/api/tasks/" .. task_ids[math.random(#task_ids)])
  elseif mode == "create" then
    counter = counter + 1
    local body = string.format(
      '{"projectId":"%s","title":"Bench task %d","body":"Created by the benchmark.","priority":%d,"createdBy":"%s"}',
      project_ids[math.random(#project_ids)], counter, math.random(0, 3), user_ids[math.random(#user_ids)])
    return wrk.format(nil, "/api/tasks", nil, body)
  end
  return wrk.format(nil, wrk.path)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
