-- once.lua or fixed.lua (BENCH_BASE), paced to BENCH_RATE requests/s over all threads. Each thread keeps a
-- schedule of slots (start + k * interval); a connection that is free takes the next slot and waits for it in
-- delay(). wrk is closed loop per connection, so a slot is sent late only when every connection of the thread
-- is busy: `late` counts those requests and `max_lag_us` is the worst, a bound on what the latency (measured by
-- wrk from the actual send) leaves out. With late = 0 the figures are those of an open-loop client.
local lib = dofile(os.getenv("BENCH_WRK_DIR") .. "/lib.lua")
dofile(os.getenv("BENCH_WRK_DIR") .. "/" .. os.getenv("BENCH_BASE") .. ".lua")

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *now);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("bench_timespec")

local function now_us()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
   return tonumber(clock.tv_sec) * 1e6 + tonumber(clock.tv_nsec) / 1e3
end

local interval_us = 1e6 * lib.nthreads / tonumber(os.getenv("BENCH_RATE"))
local start_us = nil
slots = 0
late = 0
max_lag_us = 0
table.insert(stat_names, "slots")
table.insert(stat_names, "late")
table.insert(stat_names, "max_lag_us")

function delay()
   local now = now_us()
   if start_us == nil then
      start_us = now + interval_us * thread_index / lib.nthreads -- threads interleave their slots
   end
   local due = start_us + slots * interval_us
   slots = slots + 1
   if due >= now then
      return math.floor((due - now) / 1000) -- wrk's timers count milliseconds
   end
   if now - due > 1000 then -- later than the timer resolution
      late = late + 1
      max_lag_us = math.max(max_lag_us, math.floor(now - due))
   end
   return 0
end
