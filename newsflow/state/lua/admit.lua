-- Admit one article and open its ledger entry in one step, unless a stage queue is over the depth limit or the
-- articles in flight would hold more than the bytes limit: the check and the write cannot be split by another
-- submission, so the bytes never overshoot and the depth by at most the submissions in progress at once.
-- KEYS: in-flight set, in-flight message, in-flight bytes (a hash: article id -> bytes, '*' -> their sum),
--       body key or '', dedup marker or '', then the lists of every stage queue
-- ARGV: article id, message, ttl (s), size (bytes), body or '', depth limit, bytes limit, now (s),
--       dedup window (s), then how many of the lists each stage has
-- Returns {0} when admitted, {1, stage (1-based), depth} when a queue is full, {2, bytes held} when the bytes are.
local size, depth_limit, bytes_limit = tonumber(ARGV[4]), tonumber(ARGV[6]), tonumber(ARGV[7])
local at = 6
for stage = 10, #ARGV do
  local depth = 0
  for _ = 1, tonumber(ARGV[stage]) do
    depth = depth + redis.call('LLEN', KEYS[at])
    at = at + 1
  end
  if depth > depth_limit then return {1, stage - 9, depth} end
end
local held = tonumber(redis.call('HGET', KEYS[3], '*') or '0')
if held + size > bytes_limit then return {2, held} end
if redis.call('HSETNX', KEYS[3], ARGV[1], size) == 1 then redis.call('HINCRBY', KEYS[3], '*', size) end
if KEYS[4] ~= '' then redis.call('SET', KEYS[4], ARGV[5], 'EX', ARGV[3]) end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[8], ARGV[1])
if KEYS[5] ~= '' then redis.call('SET', KEYS[5], 'queued', 'EX', ARGV[9]) end
return {0}
