-- KEYS: a challenge list. Its entries, newest first (for the look-ups that follow rate-limit checks).
return redis.call('LRANGE', KEYS[1], 0, -1)
