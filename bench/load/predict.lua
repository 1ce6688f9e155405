-- wrk script: POST one fixed body to /predict, count responses by status, print a JSON summary.
-- Usage: wrk -t1 -c64 -d10s -s bench/load/predict.lua http://127.0.0.1:8000/predict -- BODY_FILE CONTENT_TYPE
-- done() prints one line "BENCH_JSON {...}": requests, duration, socket errors, latency (microseconds)
-- and a count per HTTP status, so 503s and other non-2xx answers are told apart.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   local file = assert(io.open(args[1], "rb"), "cannot open the body file " .. tostring(args[1]))
   wrk.method = "POST"
   wrk.body = file:read("*a")
   file:close()
   wrk.headers["Content-Type"] = args[2]
   statuses = {}
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

local function status_counts()
   local counts = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses")) do
         counts[status] = (counts[status] or 0) + n
      end
   end
   local parts = {}
   for status, n in pairs(counts) do
      parts[#parts + 1] = string.format('"%d": %d', status, n)
   end
   return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
   local percentiles = {}
   for _, p in ipairs({50, 90, 99, 99.9}) do
      percentiles[#percentiles + 1] = string.format('"%g": %d', p, latency:percentile(p))
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
      '"latency_us": {"min": %d, "mean": %.1f, "max": %d, "percentiles": {%s}}, "statuses": %s}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.timeout,
      latency.min, latency.mean, latency.max, table.concat(percentiles, ", "), status_counts()))
end
