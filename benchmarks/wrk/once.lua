-- POST each line of BENCH_LINES once, then stop the run (so every signed message, every refresh token is
-- used once). Thread k of n sends lines k+1, k+1+n, ... The requests are formatted once, in init().
-- BENCH_WRAP=address wraps each line as {"address": line} (the challenge request); otherwise a line is the body.
-- Each 200 body is appended to BENCH_SAVE.<thread>; a 404 answers a filler request sent after the end.
-- BENCH_CHAIN=<field> queues {"<field>": <that field of each 200 body>} as one more request: each refresh token
-- is still sent once, and its successor joins the list, so the list lasts as long as the server answers.
local lib = dofile(os.getenv("BENCH_WRK_DIR") .. "/lib.lua")

local FILLER_PATH = "/__benchmark_exhausted__"
local requests = {} -- formatted requests; requests[sent + 1 .. queued] are still to be sent
local queued = 0
local out
local path = os.getenv("BENCH_PATH")
local chain = os.getenv("BENCH_CHAIN")
local headers = { ["Content-Type"] = "application/json" }

sent = 0
exhausted = false
fillers = 0
filler_answers = 0
saved = 0
stat_names = { "thread_index", "sent", "exhausted", "fillers", "filler_answers", "saved" }

setup = lib.setup

local function queue(body)
   queued = queued + 1
   requests[queued] = wrk.format("POST", path, headers, body)
end

function init(_args)
   local wrap = os.getenv("BENCH_WRAP") == "address"
   for index, line in ipairs(lib.read_lines(os.getenv("BENCH_LINES"))) do
      if (index - 1) % lib.nthreads == thread_index then
         queue(wrap and ('{"address":"' .. line .. '"}') or line)
      end
   end
   out = assert(io.open(os.getenv("BENCH_SAVE") .. "." .. thread_index, "w"))
end

function request()
   if sent < queued then
      sent = sent + 1
      local formatted = requests[sent]
      requests[sent] = nil
      return formatted
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
      if chain ~= nil then
         local value = string.match(body, '"' .. chain .. '":"([^"]+)"')
         if value ~= nil then
            queue('{"' .. chain .. '":"' .. value .. '"}')
         end
      end
   elseif status == 404 then
      filler_answers = filler_answers + 1
   end
end

function done(_summary, _latency, _requests)
   lib.done(stat_names)
end
