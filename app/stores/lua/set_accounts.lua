-- KEYS: session. ARGV: its accounts as read, its new accounts, now, its new chain_id. Sets them if the
-- session is still open with the accounts read (1); 0 when it is not open, -1 when its accounts changed
-- meanwhile.
local f = redis.call('HMGET', KEYS[1], 'revoked', 'expires_at', 'idle_expires_at', 'accounts')
local now, idle_end = tonumber(ARGV[3]), tonumber(f[3] or '0')
if not f[2] or f[1] == '1' or now >= tonumber(f[2]) or (idle_end > 0 and now >= idle_end) then return 0 end
if (f[4] or '') ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[1], 'accounts', ARGV[2], 'chain_id', ARGV[4])
return 1
