#!lua
-- Deletes a deleted player's live state from their shard in one step: their keys, their
-- places on the shard's boards and in its hidden set, their id in the community's active
-- sets (the counts they made already in PostgreSQL stay there) and their dead letters.
-- Their hash stays as a tombstone holding only `deleted` (when) for `tombstone_ttl`
-- seconds: an action script still in flight for them refuses (prelude.lua), so nothing of
-- theirs is made again. Safe to run again (gameplay/deletion.py runs it until a scan of the
-- slot finds nothing more). Answers the stream's last entry id: no event of the player can
-- come after it, which the global boards' tombstone waits out.
-- KEYS[1] player: the player's hash (their tombstone after)
-- KEYS[2] hidden: the shard's hidden set
-- KEYS[3] board_all: the shard's board "all"
-- KEYS[4] stream: the shard's event stream
-- KEYS[5] dead_letters: the shard's dead-letter stream
-- KEYS[6] changes: the shard's change counters
-- KEYS[7..] the player's other keys (`own_keys` of them), then the shard's week boards
--           (`week_boards` of them), then the shard's community active sets
-- ARGV[1] player_id: the player's id
-- ARGV[2] now: the deletion's moment (epoch µs)
-- ARGV[3] tombstone_ttl: how long the tombstone stays (s)
-- ARGV[4] own_keys: how many of KEYS[7..] are the player's keys
-- ARGV[5] week_boards: how many week boards follow them
local player_id = ARGV[1]
local own, weeks = tonumber(ARGV[4]), tonumber(ARGV[5])
local since = redis.call('HGET', KEYS[1], 'deleted') or ARGV[2]
local deleted = redis.call('DEL', KEYS[1])
for i = 7, 6 + own do deleted = deleted + redis.call('DEL', KEYS[i]) end
redis.call('HSET', KEYS[1], 'deleted', since)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
redis.call('SREM', KEYS[2], player_id)
redis.call('ZREM', KEYS[3], player_id)
for i = 7 + own, 6 + own + weeks do redis.call('ZREM', KEYS[i], player_id) end
local left = 0
for i = 7 + own + weeks, #KEYS do left = left + redis.call('SREM', KEYS[i], player_id) end
if left > 0 then redis.call('HINCRBY', KEYS[6], 'community', 1) end
-- Dead letters are the events PostgreSQL refused, each with its JSON in `e`.
local letters = 0
for _, entry in ipairs(redis.call('XRANGE', KEYS[5], '-', '+')) do
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == 'e' then
      local ok, event = pcall(cjson.decode, fields[i + 1])
      if ok and type(event) == 'table' and tostring(event.player) == player_id then
        letters = letters + redis.call('XDEL', KEYS[5], entry[1])
      end
    end
  end
end
local last = redis.call('XREVRANGE', KEYS[4], '+', '-', 'COUNT', 1)
return cjson.encode({stream_id = last[1] and last[1][1] or '0-0', deleted = deleted,
  active_left = left, dead_letters = letters})
