-- wrk script of figure 7 (bench/http_floor.py). With FLOOR_TOKEN set: POST it to token/verify
-- with the access key; without: the URL as given (GET /healthz). Both count the answers a working
-- server would not give (not 200, or a body without FLOOR_EXPECT), so that a fast error is never
-- read as throughput.
local token = os.getenv("FLOOR_TOKEN")
local expect = os.getenv("FLOOR_EXPECT")
if token then
  wrk.method = "POST"
  wrk.body = '{"token":"' .. token .. '"}'
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("FLOOR_ACCESS_KEY")
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
end

function response(status, headers, body)
  if status ~= 200 or (expect and not string.find(body, expect, 1, true)) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
  end
  io.write(string.format(
    "FLOOR requests=%d seconds=%.3f bad=%d socket_errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration / 1e6, total,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)
  ))
end
