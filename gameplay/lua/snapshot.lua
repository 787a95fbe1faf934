-- A player's live values in one round trip (read only).
-- KEYS[1] player: the player's hash
-- KEYS[2] badges: the player's badges hash
-- KEYS[3] board_all: board "all"
-- KEYS[4] board_week: board "week"
-- KEYS[5] hidden: the hidden set
-- ARGV[1] player_id: the player's id
-- ARGV[2] week: the ISO week id
local v = redis.call('HMGET', KEYS[1], 'points', 'wk', 'wkpts', 'sessions')
local points = tonumber(v[1]) or 0
local weekly = 0
if v[2] == ARGV[2] then weekly = tonumber(v[3]) or 0 end
local hidden = redis.call('SISMEMBER', KEYS[5], ARGV[1]) == 1
local rank_all, rank_week = cjson.null, cjson.null
if not hidden then
  -- Competition rank: 1 + the number of visible players with strictly more points.
  rank_all = redis.call('ZCOUNT', KEYS[3], '(' .. points, '+inf') + 1
  rank_week = redis.call('ZCOUNT', KEYS[4], '(' .. weekly, '+inf') + 1
end
return cjson.encode({points = points, weekly = weekly, sessions = tonumber(v[4]) or 0,
  hidden = hidden, rank_all = rank_all, rank_week = rank_week,
  badges = redis.call('HGETALL', KEYS[2])})
