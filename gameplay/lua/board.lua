-- The top of a board with display names, and the asking player's place (read only).
-- KEYS[1] board: the board's sorted set
-- KEYS[2] names: the display names hash
-- KEYS[3] hidden: the hidden set
-- KEYS[4] asker: the asking player's hash
-- ARGV[1] limit: how many entries
-- ARGV[2] asker_id: the asking player's id, or ''
-- ARGV[3] board: 'all' | 'week'
-- ARGV[4] week: the ISO week id
local rows = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
local ids = {}
for i = 1, #rows, 2 do table.insert(ids, rows[i]) end
local names = {}
if #ids > 0 then names = redis.call('HMGET', KEYS[2], unpack(ids)) end
local entries = {}
for i = 1, #ids do
  table.insert(entries, {ids[i], tonumber(rows[2 * i]), names[i] or ''})
end
local me = cjson.null
if ARGV[2] ~= '' and redis.call('SISMEMBER', KEYS[3], ARGV[2]) == 0 then
  local v = redis.call('HMGET', KEYS[4], 'points', 'wk', 'wkpts')
  local points = tonumber(v[1]) or 0
  if ARGV[3] == 'week' then
    points = 0
    if v[2] == ARGV[4] then points = tonumber(v[3]) or 0 end
  end
  me = {rank = redis.call('ZCOUNT', KEYS[1], '(' .. points, '+inf') + 1, points = points}
end
return cjson.encode({entries = entries, me = me})
