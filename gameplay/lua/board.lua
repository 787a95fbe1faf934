#!lua flags=no-writes
-- The top of a global board with display names (read only).
-- KEYS[1] board: the global board's sorted set
-- KEYS[2] names: the display names hash
-- ARGV[1] limit: how many entries
local rows = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
local ids = {}
for i = 1, #rows, 2 do table.insert(ids, rows[i]) end
local names = {}
if #ids > 0 then names = redis.call('HMGET', KEYS[2], unpack(ids)) end
local entries = {}
for i = 1, #ids do
  table.insert(entries, {ids[i], tonumber(rows[2 * i]), names[i] or ''})
end
return cjson.encode({entries = entries})
