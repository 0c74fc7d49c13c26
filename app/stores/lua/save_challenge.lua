-- KEYS: the address's challenge list. ARGV: the new challenge's JSON, its ttl, the cap, its client, now.
-- Drops expired entries, adds the new one, and beyond the cap drops the one app.stores.base.dropped_for
-- names (the oldest of the client holding the most), in one step.
local now = tonumber(ARGV[5])
for _, entry in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if cjson.decode(entry)['expires_at'] <= now then redis.call('LREM', KEYS[1], 1, entry) end
end
redis.call('LPUSH', KEYS[1], ARGV[1])
local older = redis.call('LRANGE', KEYS[1], 1, -1)
if #older >= tonumber(ARGV[3]) then
  local clients, held = {}, {[ARGV[4]] = 1}
  for index, entry in ipairs(older) do
    clients[index] = cjson.decode(entry)['client']
    held[clients[index]] = (held[clients[index]] or 0) + 1
  end
  local most = 0
  for _, count in pairs(held) do most = math.max(most, count) end
  local dropped = nil
  for index = #older, 1, -1 do
    if held[ARGV[4]] == most and clients[index] == ARGV[4] then dropped = older[index]; break end
  end
  if dropped == nil then
    for index = #older, 1, -1 do
      if held[clients[index]] == most then dropped = older[index]; break end
    end
  end
  redis.call('LREM', KEYS[1], -1, dropped)
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
