-- KEYS: an authorization code. Its record and whether it had been taken before ({record, 0|1}), marking it
-- taken; nil when there is none.
local f = redis.call('HMGET', KEYS[1], 'record', 'taken')
if not f[1] then return false end
if f[2] == '1' then return {f[1], 1} end
redis.call('HSET', KEYS[1], 'taken', '1')
return {f[1], 0}
