-- After count_in.lua and consume_challenge.lua (as the function consume), where every key lives on one
-- server. KEYS: the address's challenges, the new session, the live sessions. ARGV: the nonce, the time now,
-- the session's ttl, then the ceiling, its id, its ends_at and the seconds to its absolute end (as
-- reserve_session.lua), then its fields. At the ceiling -1, consuming nothing; else consume, then open the
-- session if the nonce was there: one atomic step.
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[4]) then return -1 end
if consume() == 0 then return 0 end
redis.call('HSET', KEYS[2], unpack(ARGV, 8))
redis.call('EXPIRE', KEYS[2], ARGV[3])
return count_in(KEYS[3], ARGV[2], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
