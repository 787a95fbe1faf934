-- A player's vacation added, ended or removed, with its event. Adding one checks again,
-- against the vacations held now, that it overlaps none and keeps every calendar year it
-- touches within the limit (two adds at once cannot both pass; a refusal writes nothing),
-- and gives back the freezes spent on the days it covers, each with its own event.
-- Ending or removing one applies only to the span the caller read (else 'changed').
-- KEYS[10] vacations: the player's vacations, id -> "<first>:<last>" (day ordinals)
-- KEYS[11] frozen: the player's frozen days, "<habit id>:<day ordinal>" -> 1
-- ARGV[8] action: 'add' | 'end' (under way: it ends yesterday) | 'remove'
-- ARGV[9] vacation_id: the vacation's id (adding: the event's own id)
-- ARGV[10] span: adding: the new "<first>:<last>"; else the span it must hold now
-- ARGV[11] new_span: ending: the span it keeps; '' otherwise
-- ARGV[12] start_iso: its first day (ISO date)
-- ARGV[13] end_iso: its last day (ISO date; ending: the new last day)
-- ARGV[14] years: adding: [[first, last], ...], the calendar years it touches; [] otherwise
-- ARGV[15] year_limit: the vacation days a calendar year may hold
-- ARGV[16] days: adding: {ordinal: ISO date} of each of its days; {} otherwise
-- ARGV[17] freezes_max: the most freezes a player holds
local VACATIONS, FROZEN = KEYS[10], KEYS[11]
local action, vacation_id, span = ARGV[8], ARGV[9], ARGV[10]
local record = {id = vacation_id, start = ARGV[12], ['end'] = ARGV[13]}

local function bounds(value)
  local first, last = string.match(value, '^(%d+):(%d+)$')
  return tonumber(first), tonumber(last)
end

if action ~= 'add' then
  if redis.call('HGET', VACATIONS, vacation_id) ~= span then
    return cjson.encode({status = 'changed'})
  end
  local kind = 'vacation_removed'
  if action == 'end' then
    redis.call('HSET', VACATIONS, vacation_id, ARGV[11])
    kind = 'vacation_ended'
  else
    redis.call('HDEL', VACATIONS, vacation_id)
  end
  local stream_id, event = emit({type = kind, points = 0, vacation = record})
  return cjson.encode({status = 'ok', id = vacation_id, stream_id = stream_id, event = event})
end

local first, last = bounds(span)
local years = cjson.decode(ARGV[14])
local held = redis.call('HGETALL', VACATIONS)
for i = 2, #held, 2 do
  -- The same vacation again (a retried request): answered with the one held.
  if held[i] == span then
    confirm_earlier()  -- the WAIT after it then covers the vacation it confirms
    return cjson.encode({status = 'repeat', id = held[i - 1]})
  end
end
local taken = {}
for y = 1, #years do taken[y] = 0 end
for i = 2, #held, 2 do
  local f, l = bounds(held[i])
  if f <= last and first <= l then return cjson.encode({status = 'overlap', vacations = held}) end
  for y, year in ipairs(years) do
    taken[y] = taken[y] + math.max(0, math.min(l, year[2]) - math.max(f, year[1]) + 1)
  end
end
for y, year in ipairs(years) do
  if taken[y] + math.min(last, year[2]) - math.max(first, year[1]) + 1 > tonumber(ARGV[15]) then
    return cjson.encode({status = 'year_limit', vacations = held})
  end
end

redis.call('HSET', VACATIONS, vacation_id, span)
local stream_id, event = emit({type = 'vacation_added', points = 0, vacation = record})

-- The freezes spent on its days come back (up to the most a player holds), oldest day
-- first, then the lowest habit id.
local days = cjson.decode(ARGV[16])
local refunds = {}
for _, field in ipairs(redis.call('HKEYS', FROZEN)) do
  local habit, day = string.match(field, '^(%d+):(%d+)$')
  if habit and days[day] then table.insert(refunds, {tonumber(day), tonumber(habit), field}) end
end
table.sort(refunds, function(a, b)
  if a[1] ~= b[1] then return a[1] < b[1] end
  return a[2] < b[2]
end)
local freezes = tonumber(redis.call('HGET', PLAYER, 'freezes')) or 0
local extra_events = {}
for n, refund in ipairs(refunds) do
  redis.call('HDEL', FROZEN, refund[3])
  local delta = 0
  if freezes < tonumber(ARGV[17]) then delta, freezes = 1, freezes + 1 end
  -- An event of its own: its id is derived from the vacation's event id and its number.
  local base = cjson.decode(base_json)
  local h = redis.sha1hex(base.id .. '#' .. n)
  base.id = string.format('%s-%s-8%s-%s%s-%s', string.sub(h, 1, 8), string.sub(h, 9, 12),
    string.sub(h, 14, 16), ({'8', '9', 'a', 'b'})[(tonumber(string.sub(h, 17, 17), 16) % 4) + 1],
    string.sub(h, 18, 20), string.sub(h, 21, 32))
  base.day = days[tostring(refund[1])]
  local refund_id, refund_event = emit({type = 'freeze_refunded', points = 0,
    freeze = {habit = tostring(refund[2]), day = base.day, delta = delta}}, cjson.encode(base))
  table.insert(extra_events, {refund_id, refund_event})
end
if #refunds > 0 then redis.call('HSET', PLAYER, 'freezes', freezes) end
return cjson.encode({status = 'ok', id = vacation_id, freezes = freezes, stream_id = stream_id,
  event = event, extra_events = extra_events})
