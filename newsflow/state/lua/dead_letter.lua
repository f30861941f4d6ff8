-- Add a dead letter once per (article id, stage, pipeline version), keep its input for replay, and close the
-- article's ledger entry, in one step.
-- KEYS: marker or '' (its value becomes the letter's entry id), input key, dead-letter stream, body key or '',
--       in-flight set, in-flight message, stage marker, in-flight bytes
-- ARGV: input, retention (s), letter, article id or '', stream maxlen
-- Returns the new entry id, or false when the article already has its letter for this stage.
if ARGV[4] ~= '' then close_entry(KEYS[5], KEYS[6], KEYS[7], KEYS[8], ARGV[4]) end
if KEYS[1] ~= '' and redis.call('SET', KEYS[1], '', 'NX', 'EX', ARGV[2]) == false then return false end
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
if KEYS[4] ~= '' then redis.call('EXPIRE', KEYS[4], ARGV[2]) end
local entry = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', 'id', ARGV[4], 'record', ARGV[3])
if KEYS[1] ~= '' then redis.call('SET', KEYS[1], entry, 'KEEPTTL') end
return entry
