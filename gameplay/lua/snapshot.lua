#!lua flags=no-writes
-- A player's live values from their shard in one round trip (read only). Ranks come from
-- the global boards (ranks.lua).
-- KEYS[1] player: the player's hash
-- KEYS[2] badges: the player's badges hash
-- KEYS[3] hidden: the shard's hidden set
-- ARGV[1] player_id: the player's id
-- ARGV[2] week: the ISO week id
local v = redis.call('HMGET', KEYS[1], 'points', 'wk', 'wkpts', 'sessions')
local weekly = 0
if v[2] == ARGV[2] then weekly = tonumber(v[3]) or 0 end
return cjson.encode({points = tonumber(v[1]) or 0, weekly = weekly,
  sessions = tonumber(v[4]) or 0, hidden = redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1,
  badges = redis.call('HGETALL', KEYS[2])})
