-- Functions for the scripts that run rate-limit checks before their own operation (app.stores.redis_limits):
-- the moving window of `limits` (its Redis storage's acquire_moving_window.lua and moving_window.lua, for a
-- cost of 1), on the same keys: each window a list of its hit times, newest first, at most `limit` long.
-- KEYS[1..n]: the windows. ARGV[1]: n, ARGV[2]: now, then three per window: its limit, its length in
-- seconds, and 1 to count a hit (0: only check that one would be allowed).

-- The time of the oldest hit inside the window and how many it holds; nil when it holds none.
local function window_of(key, now, limit, expiry)
  local low, high, oldest = 0, limit - 1, nil
  while low <= high do
    local middle = math.floor((low + high) / 2)
    local hit = tonumber(redis.call('LINDEX', key, middle))
    if hit and hit >= now - expiry then
      oldest = middle
      low = middle + 1
    else
      high = middle - 1
    end
  end
  if oldest == nil then return nil end
  return {tostring(tonumber(redis.call('LINDEX', key, oldest))), oldest + 1}
end

-- Runs the checks in order; the first refused one stops them: {its index, the oldest hit in its window (a
-- string: a Lua number would come back truncated), the hits in it}. nil when every one passed.
local function first_refusal(keys, argv)
  local now = tonumber(argv[2])
  for index = 1, tonumber(argv[1]) do
    local key, limit, expiry = keys[index], tonumber(argv[3 * index]), tonumber(argv[3 * index + 1])
    local allowed
    if argv[3 * index + 2] == '1' then
      local last = redis.call('LINDEX', key, limit - 1)
      allowed = not (last and tonumber(last) >= now - expiry)
      if allowed then
        redis.call('LPUSH', key, now)
        redis.call('LTRIM', key, 0, limit - 1)
        redis.call('EXPIRE', key, expiry)
      end
    else
      local window = window_of(key, now, limit, expiry)
      allowed = window == nil or window[2] <= limit - 1
    end
    if not allowed then
      local window = window_of(key, now, limit, expiry) or {argv[2], 0}
      return {index, window[1], window[2]}
    end
  end
  return nil
end
