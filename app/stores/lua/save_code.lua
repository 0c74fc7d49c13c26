-- KEYS: an authorization code. ARGV: its record, its ttl.
redis.call('HSET', KEYS[1], 'record', ARGV[1], 'taken', '0')
redis.call('EXPIRE', KEYS[1], ARGV[2])
