-- Shared by the wrk scripts of perf/writepath.py (loaded with dofile).
--
-- Every connection runs in its own wrk thread (wrk -t N -c N), so a thread's request()
-- and response() alternate strictly and per-thread state is per-connection state.
-- Thread k (0-based) serves the players on lines k+1, k+1+N, ... of the token file.

local counter = 0
local threads = {}

function setup(thread)
  thread:set("thread_index", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function load_tokens(path, index, nthreads)
  local mine, line_no = {}, 0
  for line in io.lines(path) do
    if line ~= "" then
      if line_no % nthreads == index then table.insert(mine, line) end
      line_no = line_no + 1
    end
  end
  if #mine == 0 then error("no players for thread " .. index .. " in " .. path) end
  return mine
end

-- One JSON line for the Python side: counts, latency percentiles (µs), errors.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "mean": %.1f, "max": %d}, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
