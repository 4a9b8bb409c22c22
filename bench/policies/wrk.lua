-- wrk script for bench/policies: GET one path as one user.
--   wrk … -s bench/policies/wrk.lua http://127.0.0.1:<port> -- <path> <user id>
-- done() prints one line, "BENCH_RESULT {json}", that run.ts reads.
function init(args)
  wrk.path = args[1]
  wrk.headers["x-bench-user"] = args[2]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
