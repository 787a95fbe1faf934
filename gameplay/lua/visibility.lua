-- Hides a player from the boards, or shows them again with their points.
-- KEYS[1] player: the player's hash
-- KEYS[2] board_all: board "all"
-- KEYS[3] board_week: board "week"
-- KEYS[4] hidden: the hidden set
-- KEYS[5] changes: the change counters
-- ARGV[1] player_id: the player's id
-- ARGV[2] week: the week id
-- ARGV[3] hidden: '1' hide | '0' show
-- ARGV[4] period_ttl: ttl (s) of the weekly board
if ARGV[3] == '1' then
  redis.call('SADD', KEYS[4], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
else
  redis.call('SREM', KEYS[4], ARGV[1])
  local v = redis.call('HMGET', KEYS[1], 'points', 'wk', 'wkpts')
  if v[1] then redis.call('ZADD', KEYS[2], tonumber(v[1]), ARGV[1]) end
  if v[2] == ARGV[2] then
    redis.call('ZADD', KEYS[3], tonumber(v[3]) or 0, ARGV[1])
    redis.call('EXPIRE', KEYS[3], tonumber(ARGV[4]))
  end
end
redis.call('HINCRBY', KEYS[5], 'boards', 1)
return cjson.encode({status = 'ok'})
