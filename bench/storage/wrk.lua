-- Small-object downloads: GET <prefix><n>.bin for a random n in 1..count.
-- Arguments: <path prefix> <count>. Prints BENCH_RESULT as bench/rest/wrk.ts reads it.
local prefix, count

function init(args)
  prefix = args[1]
  count = tonumber(args[2])
  math.randomseed(os.time())
end

function request()
  return wrk.format("GET", prefix .. math.random(count) .. ".bin")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
