-- After session_family.lua. KEYS: session. ARGV: presented hash, new hash, now, grace, keep_revoked,
-- max_rotations, idle_ttl. The state machine of app.stores.base, in one atomic step; a rotation moves the
-- idle end (and the key's TTL).
local f = redis.call('HMGET', KEYS[1], 'current', 'previous', 'rotated_at', 'revoked', 'expires_at', 'address',
                     'chain_id', 'created_at', 'rotations', 'domain', 'idle_expires_at', 'accounts', 'recap',
                     'client_id', 'scope')
local presented, now, grace = ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4])
local expires_at, idle_end = tonumber(f[5]), tonumber(f[11])
if idle_end == 0 then idle_end = nil end  -- a session opened without an idle end (Session.idle_expires_at)
if not f[1] or f[4] == '1' or now >= expires_at or (idle_end and now >= idle_end) then return {'invalid'} end
local new_idle_end = math.min(now + tonumber(ARGV[7]), expires_at)
local session = {f[6], f[7], f[8], f[5], f[10] or '', new_idle_end, f[12] or '', f[13] or '', f[14] or '',
                 f[15] or ''}
local function move_idle_end()
  redis.call('HSET', KEYS[1], 'idle_expires_at', new_idle_end)
  redis.call('EXPIRE', KEYS[1], math.max(1, new_idle_end - now))
end
local is_current = presented == f[1]
local in_grace = presented == f[2] and grace > 0 and now - tonumber(f[3]) <= grace
local rotations = tonumber(f[9]) or 0
if (is_current or in_grace) and rotations >= tonumber(ARGV[6]) then
  revoke(KEYS[1], tonumber(ARGV[5]))
  return {'exhausted'}
end
if is_current then
  redis.call('HSET', KEYS[1], 'current', ARGV[2], 'previous', presented, 'rotated_at', now,
             spent_field(presented), '1', 'rotations', rotations + 1)
  move_idle_end()
  return {'rotated', unpack(session)}
end
if in_grace then
  -- the token this sibling replaces was issued but (presumably) never received: presenting it later is reuse
  redis.call('HSET', KEYS[1], 'current', ARGV[2], spent_field(f[1]), '1', 'rotations', rotations + 1)
  move_idle_end()
  return {'grace', unpack(session)}
end
if is_spent(KEYS[1], presented) then
  revoke(KEYS[1], tonumber(ARGV[5]))
  return {'reused'}
end
return {'invalid'}
