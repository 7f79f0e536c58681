-- Appends a batch of events to one log, atomically, numbering them with no gap.
-- KEYS: 1 the stream, 2 the meta hash (e = epoch, s = newest sequence number),
--       3 the sorted set of once-keys.
-- ARGV: 1 max events retained, 2 max age in ms ('0': none), 3 an epoch to use if the
--       meta hash is gone, then four per event: topic, key ('-' none, '+' .. key),
--       the event without its id, once-key ('-' none, '+' .. key).
-- Returns: the epoch, then per event its sequence number and 1 (appended) or 0 (its
--          once-key was appended before, under that number).
local stream, meta, onces = KEYS[1], KEYS[2], KEYS[3]
local max_age = tonumber(ARGV[2])

local epoch = redis.call('HGET', meta, 'e')
if not epoch then
  -- The meta hash is gone (first use, flush, restart without persistence, empty
  -- replica): a new epoch, so that no id from before can look valid.
  epoch = ARGV[3]
  redis.call('HSET', meta, 'e', epoch, 's', 0)
  redis.call('DEL', stream, onces)
end

local now = nil
if max_age > 0 then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

-- Numbered locally and stored once: one hash write and one trim per batch, not per event.
local seq = tonumber(redis.call('HGET', meta, 's') or '0')
local appended = false
local out = {epoch}
for i = 4, #ARGV, 4 do
  local once = ARGV[i + 3]
  local earlier = nil
  if once ~= '-' then
    earlier = redis.call('ZSCORE', onces, string.sub(once, 2))
  end
  if earlier then
    out[#out + 1] = tonumber(earlier)
    out[#out + 1] = 0
  else
    seq = seq + 1
    appended = true
    local fields = {'e', epoch, 't', ARGV[i], 'd', ARGV[i + 2]}
    if ARGV[i + 1] ~= '-' then
      fields[#fields + 1] = 'k'
      fields[#fields + 1] = string.sub(ARGV[i + 1], 2)
    end
    if now then
      fields[#fields + 1] = 'm'
      fields[#fields + 1] = now
    end
    redis.call('XADD', stream, string.format('%d-0', seq), unpack(fields))
    if once ~= '-' then
      redis.call('ZADD', onces, seq, string.sub(once, 2))
      -- Once-keys are remembered about as long as the events are retained.
      redis.call('ZREMRANGEBYRANK', onces, 0, -(tonumber(ARGV[1]) + 1))
    end
    out[#out + 1] = seq
    out[#out + 1] = 1
  end
end
if appended then
  redis.call('HSET', meta, 's', seq)
  redis.call('XTRIM', stream, 'MAXLEN', ARGV[1])
end

if now then
  -- Trim by age: drop the oldest entries appended before the cutoff (a bounded look per
  -- append keeps the script short; the stream's expiry catches a log left quiet).
  local cutoff = now - max_age
  local oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', 128)
  local trim_below = nil
  for _, entry in ipairs(oldest) do
    local fields, appended = entry[2], nil
    for j = 1, #fields, 2 do
      if fields[j] == 'm' then appended = tonumber(fields[j + 1]) end
    end
    if appended and appended < cutoff then
      trim_below = string.gsub(entry[1], '%-0$', '-1')
    else
      break
    end
  end
  if trim_below then
    redis.call('XTRIM', stream, 'MINID', trim_below)
  end
  redis.call('PEXPIRE', stream, max_age)
end

return out
