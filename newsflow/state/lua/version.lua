-- The version number of one content under an article id: the same content always gets the same number, a new one
-- the next (atomic, so concurrent submissions of one update agree).
-- KEYS: the article's versions hash; ARGV: content digest, ttl (s)
-- Returns the version number.
local known = redis.call('HGET', KEYS[1], ARGV[1])
local version = known and tonumber(known) or redis.call('HINCRBY', KEYS[1], 'latest', 1)
if not known then redis.call('HSET', KEYS[1], ARGV[1], version) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return version
