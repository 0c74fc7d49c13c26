-- KEYS: the address's challenge list. ARGV: nonce, now. Consumes the outstanding challenge with that nonce
-- (1), or does nothing (0).
for _, entry in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local challenge = cjson.decode(entry)
  if challenge['nonce'] == ARGV[1] then
    if challenge['expires_at'] <= tonumber(ARGV[2]) then return 0 end
    redis.call('LREM', KEYS[1], 1, entry)
    return 1
  end
end
return 0
