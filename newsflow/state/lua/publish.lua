-- Publish a record once per (article id, pipeline version), and close the article's ledger entry, in one step.
-- KEYS: published marker, output stream, in-flight set, in-flight message, stage marker, in-flight bytes,
--       published-count bucket
-- ARGV: article id, record, stream maxlen, marker ttl (s), bucket ttl (s), oldest entry id to keep (age cap)
-- Returns {1, entry id} for a new record, {0, earlier entry id} when this version was published already.
close_entry(KEYS[3], KEYS[4], KEYS[5], KEYS[6], ARGV[1])
local existing = redis.call('GET', KEYS[1])
if existing then return {0, existing} end
local entry = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'id', ARGV[1], 'record', ARGV[2])
redis.call('XTRIM', KEYS[2], 'MINID', ARGV[6])
redis.call('SET', KEYS[1], entry, 'EX', ARGV[4])
redis.call('INCR', KEYS[7])
redis.call('EXPIRE', KEYS[7], ARGV[5])
return {1, entry}
