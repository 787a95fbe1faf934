#!lua flags=allow-oom
-- Applies a batch of score updates to the global boards, each only if its version is
-- newer than the one the player's scores there came from: a replayed or reordered update
-- never regresses a score, and one from before a hide never puts the player back; a
-- deleted player's (a tombstone in `deleted`, player_forget.lua) is never applied.
-- Allowed at maxmemory: the streams are trimmed only past what the feeder read, so a
-- feeder refused there would keep a full Redis full (it moves scores, few new members).
-- KEYS[1] board_all: the global board "all"
-- KEYS[2] versions: the global boards' versions hash
-- KEYS[3] changes: the global boards' change counters
-- KEYS[4] deleted: the global boards' tombstones of deleted players
-- KEYS[5..] the global week boards the updates name (by index)
-- ARGV[1] updates: [[player, version, week index (1 = KEYS[5]), all score or false,
--         week score or false], ...]; false takes the player off that board
-- ARGV[2] period_ttl: ttl (s) of a week board
local updates = cjson.decode(ARGV[1])
local ttl = tonumber(ARGV[2])
local moved = 0
for _, u in ipairs(updates) do
  local player, version = tostring(u[1]), tonumber(u[2])
  local seen = tonumber(redis.call('HGET', KEYS[2], player))
  local gone = redis.call('HEXISTS', KEYS[4], player) == 1
  if not gone and (seen == nil or version > seen) then
    redis.call('HSET', KEYS[2], player, version)
    local week = KEYS[4 + u[3]]
    if u[4] == false then redis.call('ZREM', KEYS[1], player)
    else redis.call('ZADD', KEYS[1], u[4], player) end
    if u[5] == false then redis.call('ZREM', week, player)
    else
      redis.call('ZADD', week, u[5], player)
      redis.call('EXPIRE', week, ttl)
    end
    moved = moved + 1
  end
end
if moved > 0 then redis.call('HINCRBY', KEYS[3], 'boards', 1) end
return cjson.encode({moved = moved})
