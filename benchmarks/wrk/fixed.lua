-- One request repeated: BENCH_METHOD to the URL's path with optional BENCH_BODY, BENCH_CONTENT_TYPE and
-- BENCH_AUTHORIZATION. With BENCH_EXPECT, a 200 whose body lacks that text is counted as unexpected (e.g. an
-- introspection answering {"active":false}); without it no response() is defined, so wrk skips Lua per reply.
local lib = dofile(os.getenv("BENCH_WRK_DIR") .. "/lib.lua")

wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE")
wrk.headers["Authorization"] = os.getenv("BENCH_AUTHORIZATION")

local expect = os.getenv("BENCH_EXPECT")
unexpected = 0
stat_names = { "thread_index", "unexpected" }

setup = lib.setup

if expect ~= nil then
   function response(status, _headers, body)
      if status == 200 and not string.find(body, expect, 1, true) then
         unexpected = unexpected + 1
      end
   end
end

function done(_summary, _latency, _requests)
   lib.done(stat_names)
end
