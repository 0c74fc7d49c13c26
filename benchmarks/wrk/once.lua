-- POST each line of BENCH_LINES once, then stop the run (so every signed message, every refresh token is
-- used once). Thread k of n sends lines k+1, k+1+n, ... The requests are formatted once, in init().
-- BENCH_WRAP=address wraps each line as {"address": line} (the challenge request); otherwise a line is the body.
-- Each 200 body is appended to BENCH_SAVE.<thread>; a 404 answers a filler request sent after the end.
local lib = dofile(os.getenv("BENCH_WRK_DIR") .. "/lib.lua")

local FILLER_PATH = "/__benchmark_exhausted__"
local requests = {}
local out

sent = 0
exhausted = false
fillers = 0
filler_answers = 0
saved = 0

setup = lib.setup

function init(_args)
   local path = os.getenv("BENCH_PATH")
   local wrap = os.getenv("BENCH_WRAP") == "address"
   local headers = { ["Content-Type"] = "application/json" }
   for index, line in ipairs(lib.read_lines(os.getenv("BENCH_LINES"))) do
      if (index - 1) % lib.nthreads == thread_index then
         local body = wrap and ('{"address":"' .. line .. '"}') or line
         table.insert(requests, wrk.format("POST", path, headers, body))
      end
   end
   out = assert(io.open(os.getenv("BENCH_SAVE") .. "." .. thread_index, "w"))
end

function request()
   if sent < #requests then
      sent = sent + 1
      return requests[sent]
   end
   if not exhausted then
      exhausted = true
      lib.stop_run()
   end
   fillers = fillers + 1 -- wrk wants a request from every call: one that cannot succeed
   return wrk.format("GET", FILLER_PATH)
end

function response(status, _headers, body)
   if status == 200 then
      saved = saved + 1
      out:write(body, "\n") -- flushed when wrk exits
   elseif status == 404 then
      filler_answers = filler_answers + 1
   end
end

function done(_summary, _latency, _requests)
   lib.done({ "thread_index", "sent", "exhausted", "fillers", "filler_answers", "saved" })
end
