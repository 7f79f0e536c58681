-- Answers a resume: the entries after a position up to another, if the position is of
-- the current epoch, was issued, and nothing after it was trimmed.
-- KEYS: 1 the stream, 2 the meta hash.
-- ARGV: 1 the position's epoch, 2 its sequence number, 3 the last sequence number
--       wanted, 4 the most entries to return.
-- Returns: {'unknown'}, {'expired'}, or {'ok', entries} (entries may be absent: none).
local epoch = redis.call('HGET', KEYS[2], 'e')
if epoch ~= ARGV[1] then
  return {'unknown'}
end
local top = tonumber(redis.call('HGET', KEYS[2], 's') or '0')
local after = tonumber(ARGV[2])
if after > top then
  return {'unknown'}
end
local through = math.min(tonumber(ARGV[3]), top)
if after >= through then
  return {'ok'}
end
local from = string.format('%d-0', after + 1)
local entries = redis.call('XRANGE', KEYS[1], from, string.format('%d-0', through), 'COUNT', ARGV[4])
if #entries == 0 or entries[1][1] ~= from then
  return {'expired'}
end
return {'ok', entries}
