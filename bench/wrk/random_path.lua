-- wrk script of the benchmarks: each request is GET of a path picked at
-- random from the file named by BENCH_PATHS (one path per line), so the
-- daemon and nginx see the same mix. done() prints one line, "BENCH {json}",
-- that bench/benchlib.py reads: requests, duration and latency percentiles
-- in microseconds, and the error counts.
local paths = {}
local file = os.getenv("BENCH_PATHS")
for line in io.lines(file) do
  if #line > 0 then paths[#paths + 1] = line end
end
local n = #paths
if n == 0 then error("no paths in " .. tostring(file)) end

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  math.randomseed(os.time() * 1000 + (seed or 0))
end

function request()
  return wrk.format("GET", paths[math.random(n)])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"mean_us":%.1f,"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,"errors_timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
