#!lua
-- Hides a player from their shard's boards, or shows them again with their points, and
-- bumps the version of their scores; answers the update the global boards then get
-- (board_feed.lua), so an award fed later from before the change cannot undo it.
-- KEYS[1] player: the player's hash
-- KEYS[2] board_all: the shard's board "all"
-- KEYS[3] board_week: the shard's board "week"
-- KEYS[4] hidden: the shard's hidden set
-- ARGV[1] player_id: the player's id
-- ARGV[2] week: the week id
-- ARGV[3] hidden: '1' hide | '0' show
-- ARGV[4] period_ttl: ttl (s) of the weekly board
-- A deleted player (their hash a tombstone, player_purge.lua) is neither hidden nor shown.
if redis.call('HEXISTS', KEYS[1], 'deleted') == 1 then
  return redis.error_reply('DELETED player ' .. ARGV[1] .. ' was deleted')
end
local version = redis.call('HINCRBY', KEYS[1], 'v', 1)
local all, weekly = false, false
if ARGV[3] == '1' then
  redis.call('SADD', KEYS[4], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
else
  redis.call('SREM', KEYS[4], ARGV[1])
  local v = redis.call('HMGET', KEYS[1], 'points', 'wk', 'wkpts')
  if v[1] then
    all = tonumber(v[1])
    redis.call('ZADD', KEYS[2], all, ARGV[1])
  end
  if v[2] == ARGV[2] then
    weekly = tonumber(v[3]) or 0
    redis.call('ZADD', KEYS[3], weekly, ARGV[1])
    redis.call('EXPIRE', KEYS[3], tonumber(ARGV[4]))
  end
end
return cjson.encode({status = 'ok', version = version, all = all, weekly = weekly})
