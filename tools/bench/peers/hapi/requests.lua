-- wrk script of the HAPI peer bench: each request takes the next line of a file, as the path of a
-- GET or as the body of a POST to a fixed path; threads interleave over the lines.
--   wrk ... -s requests.lua <url> -- <lines-file> <GET|POST> <post-path> <threads> [header lines...]
-- done() prints one JSON line with the counts, latency percentiles (µs) and wrk's own CPU (ms),
-- and the first answers outside 2xx/3xx (status and the start of the body) of every thread.

local lines, method, post_path, headers = {}, "GET", "/", {}
local step, counter = 1, 0
local next_tid = 0
local threads = {}
-- per thread (globals: done() reads them with thread:get): the first few answers wrk counts as
-- status errors (status > 399), as JSON strings
local SAMPLES_KEPT = 3
failed_samples = ""
failed_kept = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  threads[#threads + 1] = thread
end

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function response(status, headers, body)
  if status <= 399 or failed_kept >= SAMPLES_KEPT then return end
  failed_kept = failed_kept + 1
  local sample = json_string(tostring(status) .. " " .. (body or ""):sub(1, 400))
  failed_samples = failed_samples == "" and sample or (failed_samples .. "," .. sample)
end

function init(args)
  for line in io.lines(args[1]) do
    lines[#lines + 1] = line
  end
  method, post_path, step = args[2], args[3], tonumber(args[4])
  for i = 5, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    if name then headers[name] = value end
  end
  counter = tid
end

function request()
  local line = lines[(counter % #lines) + 1]
  counter = counter + step
  if method == "GET" then
    return wrk.format("GET", line, headers)
  end
  return wrk.format("POST", post_path, headers, line)
end

local function own_cpu_ms()
  local f = io.open("/proc/self/stat", "r")
  if not f then return -1 end
  local rest = f:read("*a"):match("%) (.*)$")
  f:close()
  local fields = {}
  for v in rest:gmatch("%S+") do fields[#fields + 1] = v end
  return (tonumber(fields[12]) + tonumber(fields[13])) * 10
end

function done(summary, latency, requests)
  local e = summary.errors
  local samples = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("failed_samples")
    if s and s ~= "" then samples[#samples + 1] = s end
  end
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"bytes":%d,"connectErrors":%d,"readErrors":%d,' ..
      '"writeErrors":%d,"statusErrors":%d,"timeouts":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,' ..
      '"maxUs":%d,"wrkCpuMs":%d,"failedSamples":[%s]}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, own_cpu_ms(), table.concat(samples, ",")))
end
