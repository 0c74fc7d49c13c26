-- After count_in.lua. KEYS: the live sessions. ARGV: as count_in's, after its key.
return count_in(KEYS[1], unpack(ARGV))
