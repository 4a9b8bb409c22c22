-- Small-object downloads by id: GET <prefix><id> for a random id of the file <ids> (one a line).
-- Arguments: <path prefix> <ids file>. Prints BENCH_RESULT as bench/rest/wrk.ts reads it.
local prefix
local ids = {}

function init(args)
  prefix = args[1]
  for line in io.lines(args[2]) do
    if line ~= "" then ids[#ids + 1] = line end
  end
  math.randomseed(os.time())
end

function request()
  return wrk.format("GET", prefix .. ids[math.random(#ids)])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
