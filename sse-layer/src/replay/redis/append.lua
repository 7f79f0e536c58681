-- Appends a batch of events to one log, atomically, numbering them with no gap.
-- KEYS: 1 the stream, 2 the meta hash, 3 the sorted set of once-keys, 4 this writer's
--       last answer (for retries).
-- ARGV: 1-3 as head.lua, 4 max events retained, 5 max age in ms ('0': none), 6 the
--       batch's token ('-': none), then four per event: topic, key ('-' none, '+' .. key),
--       the event without its id, once-key ('-' none, '+' .. key).
-- Returns: the epoch, then three per event: 1 (appended), 0 (its once-key was appended
--          before) or 2 (the once-key was used for another event); the sequence number;
--          the epoch that sequence number was appended in.
local stream, meta, onces, answers = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local epoch, top = lineage(stream, meta, onces, ARGV[1], tonumber(ARGV[2]), ARGV[3])
local max_events, max_age, token = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]

-- A retry of the batch whose answer was lost: the same answer, nothing appended twice.
if token ~= '-' then
  local previous = redis.call('GET', answers)
  if previous then
    local space = string.find(previous, ' ', 1, true)
    if space and string.sub(previous, 1, space - 1) == token then
      return cjson.decode(string.sub(previous, space + 1))
    end
  end
end

-- The once-keys are also written into their entries, so that a set lost on its own (an
-- allkeys eviction policy) is rebuilt from the stream instead of letting duplicates in.
local wants_once = false
for i = 7, #ARGV, 4 do
  if ARGV[i + 3] ~= '-' then wants_once = true end
end
if wants_once and redis.call('HGET', meta, 'o') == '1' and redis.call('EXISTS', onces) == 0 then
  for _, entry in ipairs(redis.call('XRANGE', stream, '-', '+')) do
    local fields = entry[2]
    for j = 1, #fields, 2 do
      if fields[j] == 'o' then
        redis.call('ZADD', onces, tonumber(string.match(entry[1], '^(%d+)')), fields[j + 1])
      end
    end
  end
end

local now = nil
if max_age > 0 then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

local function field_of(fields, name)
  for j = 1, #fields, 2 do
    if fields[j] == name then return fields[j + 1] end
  end
  return nil
end

-- Numbered locally and stored once: one hash write and one trim per batch, not per event.
local seq = top
local appended = false
local out = {epoch}
for i = 7, #ARGV, 4 do
  local topic, key, body, once = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local earlier = nil
  if once ~= '-' then
    earlier = redis.call('ZSCORE', onces, string.sub(once, 2))
  end
  if earlier then
    local code, of_epoch = 0, epoch
    local found = redis.call('XRANGE', stream, earlier .. '-0', earlier .. '-0')
    if found[1] then
      local fields = found[1][2]
      of_epoch = field_of(fields, 'e') or epoch
      if field_of(fields, 't') ~= topic or field_of(fields, 'd') ~= body then
        code = 2
      end
    end
    out[#out + 1] = code
    out[#out + 1] = tonumber(earlier)
    out[#out + 1] = of_epoch
  else
    seq = seq + 1
    appended = true
    local fields = {'e', epoch, 't', topic, 'd', body}
    if key ~= '-' then
      fields[#fields + 1] = 'k'
      fields[#fields + 1] = string.sub(key, 2)
    end
    if now then
      fields[#fields + 1] = 'm'
      fields[#fields + 1] = now
    end
    if once ~= '-' then
      fields[#fields + 1] = 'o'
      fields[#fields + 1] = string.sub(once, 2)
    end
    redis.call('XADD', stream, string.format('%d-0', seq), unpack(fields))
    if once ~= '-' then
      redis.call('ZADD', onces, seq, string.sub(once, 2))
      -- Once-keys are remembered about as long as the events are retained.
      redis.call('ZREMRANGEBYRANK', onces, 0, -(max_events + 1))
    end
    out[#out + 1] = 1
    out[#out + 1] = seq
    out[#out + 1] = epoch
  end
end
if appended then
  redis.call('HSET', meta, 's', seq)
  if wants_once then redis.call('HSET', meta, 'o', '1') end
  redis.call('XTRIM', stream, 'MAXLEN', max_events)
end

if now then
  -- Trim by age: drop the oldest entries appended before the cutoff (a bounded look per
  -- append keeps the script short; the stream's expiry catches a log left quiet).
  local cutoff = now - max_age
  local oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', 128)
  local trim_below = nil
  for _, entry in ipairs(oldest) do
    local stamp = tonumber(field_of(entry[2], 'm'))
    if stamp and stamp < cutoff then
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

if token ~= '-' then
  redis.call('SET', answers, token .. ' ' .. cjson.encode(out), 'PX', 60000)
end
return out
