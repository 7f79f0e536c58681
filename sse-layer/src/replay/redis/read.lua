-- Where the log stands and the entries after a sequence number, in one step (a resume).
-- KEYS: 1 the stream, 2 the meta hash, 3 the once-keys.
-- ARGV: 1-3 as head.lua, 4 the sequence number to read after, 5 the most entries.
-- Returns: {epoch, top, forks, entries}.
local epoch, top, forks = lineage(KEYS[1], KEYS[2], KEYS[3], ARGV[1], tonumber(ARGV[2]), ARGV[3])
local from = string.format('%d-0', tonumber(ARGV[4]) + 1)
local entries = redis.call('XRANGE', KEYS[1], from, '+', 'COUNT', ARGV[5])
return {epoch, top, forks, entries}
