-- wrk script for make bench (benches/peers/servers.py): prints the run's
-- figures as one JSON line, and with a path template walks unique URLs.
--
--   wrk -t THREADS ... -s wrk.lua http://127.0.0.1:PORT -- [TEMPLATE LINKS START THREADS]
--
-- TEMPLATE is a path with "{n}" where the link number goes ("/u/2.7mp-{n}.jpg
-- ?w=512"); the threads deal out the numbers START, START+1, ... modulo LINKS
-- between them, so no URL repeats within a run and nothing is served from a
-- cache. Without a template wrk sends its one request unchanged, on its fast
-- path.

local count = 0

function setup(thread)
   thread:set("id", count)
   count = count + 1
end

function init(args)
   template = args[1]
   if template == nil then
      request = nil -- the fixed request of the command line
      return
   end
   links = tonumber(args[2])
   n = tonumber(args[3]) + id
   step = tonumber(args[4])
end

function request()
   local link = n % links
   n = n + step
   local path = template:gsub("{n}", string.format("%04d", link))
   return wrk.format("GET", path)
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'WRK-JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"p50_us": %d, "p99_us": %d}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(99)))
end
