-- Shared by the scripts that close an article's ledger entry (prepended to them, newsflow/state/scripts.py).
-- Out of the in-flight set, its message and stage marker gone, and the bytes it held (ingest's admit.lua) released.
local function close_entry(set, message, stage, held, article_id)
  redis.call('ZREM', set, article_id)
  redis.call('DEL', message, stage)
  local size = redis.call('HGET', held, article_id)
  if size then
    redis.call('HDEL', held, article_id)
    redis.call('HINCRBY', held, '*', -tonumber(size))
  end
end
