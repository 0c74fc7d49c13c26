-- KEYS: a new session. ARGV: its ttl, then its fields.
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
