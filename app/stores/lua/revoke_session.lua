-- After session_family.lua. KEYS: session. ARGV: keep_revoked, and a refresh hash that must belong to the
-- session ('' for none).
local f = redis.call('HMGET', KEYS[1], 'current', 'revoked')
if not f[1] then return 0 end
if f[2] == '1' then return 1 end
local hash = ARGV[2]
if hash ~= '' and hash ~= f[1] and not is_spent(KEYS[1], hash) then return 0 end
revoke(KEYS[1], tonumber(ARGV[1]))
return 1
