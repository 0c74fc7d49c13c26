-- Shared by the scripts in benchmarks/wrk (loaded with dofile from BENCH_WRK_DIR): thread numbering,
-- stopping the whole run early, and a JSON line of per-thread counters written by done() to BENCH_STATS.
local ffi = require("ffi")
ffi.cdef [[
int getpid(void);
int tgkill(int tgid, int tid, int sig);
]]

local lib = {}
local SIGINT = 2
local threads = {}
local next_index = 0

lib.nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")

-- In the main Lua state: number the threads so each can take its own share of a once-only list.
function lib.setup(thread)
   thread:set("thread_index", next_index)
   next_index = next_index + 1
   table.insert(threads, thread)
end

-- In a thread: stop it, and end the run now rather than at -d. wrk's main thread sleeps for -d and is woken
-- only by SIGINT; tgkill aims it at that thread (whose id is the process id), so wrk's runtime, and thus its
-- requests/s, is the time the run really took.
function lib.stop_run()
   wrk.thread:stop()
   local pid = ffi.C.getpid()
   ffi.C.tgkill(pid, pid, SIGINT)
end

-- Each thread's value of each named global, as a JSON object per thread, on one line of BENCH_STATS.
function lib.done(names)
   local path = os.getenv("BENCH_STATS")
   if path == nil then
      return
   end
   local rows = {}
   for _, thread in ipairs(threads) do
      local fields = {}
      for _, name in ipairs(names) do
         local value = thread:get(name)
         if type(value) == "boolean" then
            value = value and "true" or "false"
         end
         table.insert(fields, string.format('"%s":%s', name, tostring(value or 0)))
      end
      table.insert(rows, "{" .. table.concat(fields, ",") .. "}")
   end
   local file = assert(io.open(path, "w"))
   file:write("[", table.concat(rows, ","), "]\n")
   file:close()
end

function lib.read_lines(path)
   local lines = {}
   for line in io.lines(path) do
      if line ~= "" then
         table.insert(lines, line)
      end
   end
   return lines
end

return lib
