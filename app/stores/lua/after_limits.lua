-- After moving_windows.lua and `operation`, a script of its own KEYS and ARGV made a function. KEYS: the
-- windows, then the operation's. ARGV: as moving_windows.lua's, then the operation's. A refusal as
-- first_refusal answers it (nothing of the operation runs); else {0, what the operation answers}.
local refusal = first_refusal(KEYS, ARGV)
if refusal then return refusal end
local windows = tonumber(ARGV[1])
return {0, operation({unpack(KEYS, windows + 1)}, {unpack(ARGV, 3 * windows + 3)})}
