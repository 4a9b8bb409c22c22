-- wrk script for bench/graphql: the same read over REST or GraphQL, chosen by the first argument.
--   wrk … -s bench/graphql/wrk.lua http://127.0.0.1:<port> -- <rest|graphql> <session token>
--   rest:    GET /api/posts?select=…,author(id,email)&published=eq.true&order=createdAt.desc&limit=20
--   graphql: POST /graphql with the same list of 20 posts and their author
-- done() prints one line, "BENCH_RESULT {json}", that run.ts reads (as bench/rest/wrk.ts parses).

REST_PATH = "/api/posts?select=id,title,published,createdAt,author(id,email)&published=eq.true&order=createdAt.desc&limit=20"
GRAPHQL_BODY = '{"query":"{ posts(where: { published: { eq: true } }, orderBy: [{ createdAt: DESC }], limit: 20) { id title published createdAt author { id email } } }"}'

function init(args)
  local mode, session = args[1], args[2]
  assert(mode == "rest" or mode == "graphql", "case must be rest or graphql")
  wrk.headers["Authorization"] = "Bearer " .. session
  if mode == "rest" then
    wrk.path = REST_PATH
  else
    wrk.method = "POST"
    wrk.path = "/graphql"
    wrk.headers["Content-Type"] = "application/json"
    wrk.body = GRAPHQL_BODY
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
