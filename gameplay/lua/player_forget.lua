#!lua
-- 'forget': a deleted player leaves the global boards (every week's too), the names and
-- the versions, and gets a tombstone there instead: the stream id of their shard's purge
-- (player_purge.lua). The feeder (board_feed.lua) applies no update of a tombstoned
-- player, so an event of theirs it reads late puts nobody back. Safe to run again.
-- 'clear': removes the tombstone once no event of theirs is left on their shard's stream
-- (gameplay.deletion.tombstones_sweep), if it is still the one the sweep read.
-- KEYS[1] board_all: the global board "all"
-- KEYS[2] names: the display names hash
-- KEYS[3] versions: the global boards' versions hash
-- KEYS[4] deleted: the global boards' tombstones (player -> stream id of the purge)
-- KEYS[5] changes: the global boards' change counters
-- KEYS[6..] the global week boards
-- ARGV[1] action: 'forget' | 'clear'
-- ARGV[2] player_id: the player's id
-- ARGV[3] stream_id: the last entry of the player's shard stream when it was purged
local player = ARGV[2]
if ARGV[1] == 'clear' then
  local cleared = 0
  if redis.call('HGET', KEYS[4], player) == ARGV[3] then
    cleared = redis.call('HDEL', KEYS[4], player)
  end
  return cjson.encode({cleared = cleared})
end
local moved = redis.call('ZREM', KEYS[1], player)
for i = 6, #KEYS do moved = moved + redis.call('ZREM', KEYS[i], player) end
redis.call('HDEL', KEYS[2], player)
redis.call('HDEL', KEYS[3], player)
redis.call('HSET', KEYS[4], player, ARGV[3])
-- The boards' snapshots go out again, and everyone ranked below moved up.
redis.call('HINCRBY', KEYS[5], 'boards', 1)
if moved > 0 then redis.call('HINCRBY', KEYS[5], 'ranks', 1) end
return cjson.encode({moved = moved})
