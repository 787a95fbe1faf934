#!lua flags=allow-oom
-- Takes the events of deleted players off their shard's stream once the flush dropped
-- them (their player is gone from PostgreSQL, pipeline/dropped.py), and takes back what
-- they added to the live community counters, which PostgreSQL never counted: both stores
-- keep the same sums. An entry is taken back once, by the call that deletes it, so a
-- flusher dying before or after this call, or two of them, change nothing more. Allowed
-- at maxmemory: it only frees (a full Redis must still drain).
-- KEYS[1] stream: the shard's stream
-- KEYS[2] changes: the shard's change counters
-- KEYS[3..] the community day hashes the entries name (by index)
-- ARGV[1] group: the flush's consumer group
-- ARGV[2] entries: [[stream id, day index (1 = KEYS[3]), focus minutes, sessions], ...]
local taken = 0
for _, entry in ipairs(cjson.decode(ARGV[2])) do
  redis.call('XACK', KEYS[1], ARGV[1], entry[1])
  if redis.call('XDEL', KEYS[1], entry[1]) == 1 then
    local day = KEYS[2 + entry[2]]
    if redis.call('EXISTS', day) == 1 then
      if entry[3] > 0 then redis.call('HINCRBY', day, 'focus_minutes', -entry[3]) end
      if entry[4] > 0 then redis.call('HINCRBY', day, 'sessions', -entry[4]) end
    end
    taken = taken + 1
  end
end
if taken > 0 then redis.call('HINCRBY', KEYS[2], 'community', 1) end
return cjson.encode({dropped = taken})
