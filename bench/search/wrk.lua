-- bench/search: GET one search URL (the path given by run.ts; the query words rotate over a fixed
-- list) with a bearer token. Args: token, mode. done() prints "BENCH_RESULT {json}" for run.ts.
local token, mode
local queries = { "rocket%20fuel", "garden%20water", "budget%20review", "moon%20planet", "coffee%20board", "secret%20merger" }
local i = 0

function init(args)
  token = args[1]
  mode = args[2]
end

function request()
  i = i + 1
  local q = queries[(i % #queries) + 1]
  return wrk.format("GET", "/search/notes?q=" .. q .. "&mode=" .. mode .. "&select=id,title", { ["authorization"] = "Bearer " .. token })
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
