-- Functions for the scripts on a session's hash, after a line that sets spent_mark_hex and spent_field_prefix
-- (app.stores.base.SPENT_MARK_HEX, app.stores.redis.SPENT_FIELD_PREFIX): revoke (and keep no longer than
-- `keep` seconds), and the spent field of a refresh-token hash.
local function revoke(key, keep)
  redis.call('HSET', key, 'revoked', '1')
  local ttl = redis.call('TTL', key)
  if ttl < 0 or ttl > keep then redis.call('EXPIRE', key, keep) end
end
local function spent_field(hash)
  return spent_field_prefix .. string.sub(hash, 1, spent_mark_hex)
end
local function is_spent(key, hash)
  return hash ~= '' and redis.call('HEXISTS', key, spent_field(hash)) == 1
end
