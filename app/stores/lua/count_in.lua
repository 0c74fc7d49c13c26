-- A function for the scripts that count a new session in the live ones: the key of the live sessions, now,
-- the ceiling, the new session's id, its ends_at and the seconds to its absolute end. Trims the ended ones;
-- then -1 at the ceiling, else the new one counts (1). The set lives as long as its longest-lived member may.
local function count_in(key, now, ceiling, session_id, ends_at, lifetime)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) >= tonumber(ceiling) then return -1 end
  redis.call('ZADD', key, ends_at, session_id)
  if redis.call('TTL', key) < tonumber(lifetime) then redis.call('EXPIRE', key, lifetime) end
  return 1
end
