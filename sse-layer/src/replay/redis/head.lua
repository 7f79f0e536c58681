-- Where the log stands.
-- KEYS: 1 the stream, 2 the meta hash, 3 the once-keys.
-- ARGV: 1 the caller's known epoch ('' none), 2 its known top, 3 a fresh epoch.
-- Returns: {epoch, top, forks}.
local epoch, top, forks = lineage(KEYS[1], KEYS[2], KEYS[3], ARGV[1], tonumber(ARGV[2]), ARGV[3])
return {epoch, top, forks}
