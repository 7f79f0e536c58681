-- The preamble of every script: where the log stands, after fencing when writes may have
-- been lost. The meta hash holds e (the current epoch), s (the newest sequence number),
-- r (the run id of the server that last checked them), F (earlier epochs of this history,
-- "epoch:through,epoch:through", oldest first, at most 32) and o ('1' once a once-key
-- was stored).
--
-- The run id changes at every start of a Redis server. A server that is not the one that
-- last checked the log (it restarted, from whatever copy; a replica was promoted) may hold
-- less than was acknowledged, and so may a server whose top is below what a caller has
-- seen: then the log fences. Numbering goes on from what is held, under a new epoch, and
-- the old epoch is kept as a fork through that number: its ids up to there stay valid, the
-- ones after it are known to be lost, and none of them can ever name a new event.

local MAX_FORKS = 32

local function with_fork(forks, epoch, through)
  local list = {}
  for item in string.gmatch(forks, '[^,]+') do
    list[#list + 1] = item
  end
  list[#list + 1] = epoch .. ':' .. through
  while #list > MAX_FORKS do
    table.remove(list, 1)
  end
  return table.concat(list, ',')
end

-- Returns the epoch, the top and the forks. known_epoch/known_top: what the caller has
-- seen ('' and 0: nothing); fresh: an epoch to use if a new one is needed.
local function lineage(stream, meta, onces, known_epoch, known_top, fresh)
  local run = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
  local state = redis.call('HMGET', meta, 'e', 's', 'r', 'F')
  local epoch, top, checked_by, forks = state[1], tonumber(state[2] or '0'), state[3], state[4] or ''
  if not epoch then
    -- The log's state is gone (first use, a flush, a restart without persistence, an
    -- empty replica, eviction): a new history, in which the caller's epoch kept nothing.
    redis.call('DEL', stream, onces)
    forks = ''
    if known_epoch ~= '' then
      forks = with_fork('', known_epoch, 0)
    end
    redis.call('HSET', meta, 'e', fresh, 's', 0, 'r', run, 'F', forks)
    return fresh, 0, forks
  end
  if checked_by ~= run or (known_epoch == epoch and known_top > top) then
    forks = with_fork(forks, epoch, top)
    redis.call('HSET', meta, 'e', fresh, 'r', run, 'F', forks)
    return fresh, top, forks
  end
  return epoch, top, forks
end

