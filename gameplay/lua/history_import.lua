-- Imported history into the live store (gameplay/history.py, after the import's rows are
-- committed): the days that ended are settled first, with what the player held before the
-- import (so no freeze is ever spent on a day that ended before it), then the imported
-- vacations and frozen days join the skip days, then each habit's checked days, its first
-- day, its longest streak and (an active habit) its roster entry, as rebuild_redis would
-- restore them from the rows. It awards nothing: no points, badges or freezes, and no
-- event but the settling's own. Every write is idempotent, so a call that is repeated (a
-- retried import) changes nothing more.
-- ARGV[10] habits: [{id, days: [ordinals], schedule: {kind, rest|target}, longest, active}]
-- ARGV[11] vacations: {vacation id: "<first>:<last>"} to add
-- ARGV[12] frozen: ["<habit id>:<day>", ...] to add
-- Each habit's two keys follow the named KEYS, in the order of ARGV[10] (extra_keys):
-- its set of checked days, then its hash (longest, first).
local imported = cjson.decode(ARGV[10])
local imported_vacations = cjson.decode(ARGV[11])
local imported_frozen = cjson.decode(ARGV[12])
local SADD_CHUNK = 5000  -- unpack() has a stack limit

settle()

for vacation_id, span in pairs(imported_vacations) do
  redis.call('HSET', VACATIONS, vacation_id, span)
end
spans = nil  -- habits.lua reads the vacations once: read them again, with these
for _, field in ipairs(imported_frozen) do redis.call('HSET', FROZEN, field, 1) end

local named = 12  -- the prelude's and habits.lua's KEYS
for i, h in ipairs(imported) do
  if #h.days > 0 then
    local days_key, habit_key = KEYS[named + 2 * i - 1], KEYS[named + 2 * i]
    local habit_id = tostring(h.id)
    local newest = nil
    for start = 1, #h.days, SADD_CHUNK do
      redis.call('SADD', days_key, unpack(h.days, start, math.min(start + SADD_CHUNK - 1, #h.days)))
    end
    for _, d in ipairs(h.days) do
      if newest == nil or d > newest then newest = d end
    end
    -- The first checked day bounds every walk back: the smallest of the set, old or new.
    local first = nil
    for _, d in ipairs(redis.call('SMEMBERS', days_key)) do
      d = tonumber(d)
      if first == nil or d < first then first = d end
    end
    local longest = math.max(tonumber(redis.call('HGET', habit_key, 'longest')) or 0, h.longest)
    redis.call('HSET', habit_key, 'first', first, 'longest', longest)
    if h.active then
      local entry = redis.call('HGET', ROSTER, habit_id)
      entry = entry and cjson.decode(entry) or {}
      local weekly = h.schedule.kind == 'weekly'
      entry.kind, entry.rest = h.schedule.kind, h.schedule.rest or {}
      entry.target = tonumber(h.schedule.target) or 0
      if entry.last == nil or newest > entry.last then
        entry.last = newest
        -- Settling reads daily entries only; a weekly one's streak is 0, as rebuilt.
        entry.streak = 0
      end
      if not weekly then
        entry.streak = streak_at(days_key, habit_id, rest_set(h.schedule), first, entry.last)
      end
      if #entry.rest == 0 then entry.rest = nil end
      redis.call('HSET', ROSTER, habit_id, cjson.encode(entry))
    end
  end
end

return cjson.encode({status = 'ok', freezes = held_freezes(), extra_events = extra_events})
