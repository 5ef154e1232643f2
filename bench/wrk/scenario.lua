-- One benchmark scenario for wrk. Arguments (after `--`):
--   method, path template, numbers file, first index, run tag, body template ("" for none),
--   then any number of "Name: value" headers.
-- "{n}" in the path and body is replaced by the next iqama number: each thread walks its own slice
-- of the file, so no two requests of a run use the same resident while the slice lasts.
-- Every request carries a unique Idempotency-Key (run tag, thread, counter).
-- `done` prints one JSON line: requests/s, latency percentiles (ms) and errors.

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

local numbers = {}
local method, path_t, body_t, tag
local headers = {}
local counter = 0
local slice_start, slice_len

function init(args)
  method, path_t = args[1], args[2]
  local file, first = args[3], tonumber(args[4])
  tag, body_t = args[5], args[6] or ""
  for i = 7, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    headers[name] = value
  end
  for line in io.lines(file) do
    if #line > 0 then numbers[#numbers + 1] = line end
  end
  local available = #numbers - first
  -- Each thread takes an equal slice of what is left after `first`; the thread count is read from
  -- the environment the driver sets (wrk gives no way to ask it).
  local nthreads = tonumber(os.getenv("BENCH_WRK_THREADS") or "1")
  slice_len = math.floor(available / nthreads)
  if slice_len < 1 then slice_len = available end
  slice_start = first + (tid - 1) * slice_len
end

function request()
  counter = counter + 1
  local n = numbers[slice_start + ((counter - 1) % slice_len) + 1]
  headers["Idempotency-Key"] = tag .. "-" .. tid .. "-" .. counter
  local path = path_t:gsub("{n}", n)
  local body = nil
  if #body_t > 0 then body = body_t:gsub("{n}", n) end
  return wrk.format(method, path, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_s": %.3f, "rps": %.2f, "p50_ms": %.2f, '
      .. '"p90_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "errors_connect": %d, '
      .. '"errors_read": %d, "errors_write": %d, "errors_status": %d, "errors_timeout": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.connect, e.read, e.write, e.status, e.timeout))
end
