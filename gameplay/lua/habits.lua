-- Shared by the scripts that decide streaks (prepended after prelude.lua by
-- gameplay/scripts.py): skip days, streak walks, and the streak freezes a missed day
-- spends. Days are ordinals (Python's date.toordinal(): day 1 is Monday 0001-01-01).
-- KEYS[10] roster: the player's habits that hold check-ins: habit id -> JSON
--   {kind, rest (rest weekdays), target, last (the last checked day), streak (streak_at(last))}
-- KEYS[11] frozen: the player's frozen days, "<habit id>:<day>" -> 1
-- KEYS[12] vacations: the player's vacations, id -> "<first day>:<last day>"
-- ARGV[8] today: the player's today
-- ARGV[9] habit_rules: {freezes_max, freeze_every, week_bonus_base, week_bonus_cap, base_points}
local ROSTER, FROZEN, VACATIONS = KEYS[10], KEYS[11], KEYS[12]
local today = tonumber(ARGV[8])
local habit_rules = cjson.decode(ARGV[9])

local function weekday(d) return (d - 1) % 7 + 1 end
local function monday(d) return d - weekday(d) + 1 end

-- The ISO date of a day ordinal (the civil-from-days algorithm, in whole days).
local function iso(d)
  local z = d - 719163 + 719468  -- days since 0000-03-01
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524)
    - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local day = doy - math.floor((153 * mp + 2) / 5) + 1
  local month = mp < 10 and mp + 3 or mp - 9
  local year = yoe + era * 400 + (month <= 2 and 1 or 0)
  return string.format('%04d-%02d-%02d', year, month, day)
end

local spans = nil
local function on_vacation(d)
  if spans == nil then
    spans = {}
    for _, v in ipairs(redis.call('HVALS', VACATIONS)) do
      local first, last = string.match(v, '^(%d+):(%d+)$')
      table.insert(spans, {tonumber(first), tonumber(last)})
    end
  end
  for _, span in ipairs(spans) do
    if span[1] <= d and d <= span[2] then return true end
  end
  return false
end

local function is_frozen(habit_id, d)
  return redis.call('HEXISTS', FROZEN, habit_id .. ':' .. d) == 1
end

-- A schedule as the roster and the callers carry it: rest weekdays as a set.
local function rest_set(schedule)
  local rest = {}
  for _, w in ipairs(schedule.rest or {}) do rest[tonumber(w)] = true end
  return rest
end

local function is_skip(habit_id, rest, d)
  return rest[weekday(d)] == true or on_vacation(d) or is_frozen(habit_id, d)
end

-- streak_at(d) of a daily habit: 1 + streak_at(d-1) when checked, streak_at(d-1) on an
-- unchecked skip day, else 0; 0 before `first`, its first checked day.
local function streak_at(days_key, habit_id, rest, first, d)
  local n = 0
  while d >= first do
    if redis.call('SISMEMBER', days_key, d) == 1 then n = n + 1
    elseif not is_skip(habit_id, rest, d) then break end
    d = d - 1
  end
  return n
end

local function week_count(days_key, w)
  local n = 0
  for i = 0, 6 do n = n + redis.call('SISMEMBER', days_key, w + i) end
  return n
end

local function week_on_vacation(w)
  for i = 0, 6 do if not on_vacation(w + i) then return false end end
  return true
end

-- week_streak_at(w) of a weekly habit: 1 + the week before's when met, the week before's
-- when wholly on vacation, else 0; 0 before the week of `first`.
local function week_streak_at(days_key, target, first, w)
  local n = 0
  while w >= monday(first) do
    if week_count(days_key, w) >= target then n = n + 1
    elseif not week_on_vacation(w) then break end
    w = w - 7
  end
  return n
end

local function held_freezes()
  return tonumber(redis.call('HGET', PLAYER, 'freezes')) or 0
end

-- Appends an event of its own (a freeze), after the action's: its id is derived from the
-- action's event id and its number, so a replay of the script's events is the same.
local extra_events = {}
local function emit_extra(fields, day)
  local base = cjson.decode(base_json)
  local h = redis.sha1hex(base.id .. '#' .. (#extra_events + 1))
  base.id = string.format('%s-%s-8%s-%s%s-%s', string.sub(h, 1, 8), string.sub(h, 9, 12),
    string.sub(h, 14, 16), ({'8', '9', 'a', 'b'})[(tonumber(string.sub(h, 17, 17), 16) % 4) + 1],
    string.sub(h, 18, 20), string.sub(h, 21, 32))
  base.day = iso(day)
  base.points = 0
  for k, v in pairs(fields) do base[k] = v end
  local stream_id, event = emit({}, cjson.encode(base))
  table.insert(extra_events, {stream_id, event})
end

local function freeze_event(kind, habit_id, d, delta)
  emit_extra({type = kind, freeze = {habit = tostring(habit_id), day = iso(d), delta = delta}}, d)
end

-- Spends freezes on every expected day of a daily habit that ended unchecked since the
-- last settling, while its streak was alive (every day since its last check-in a skip
-- day): longest streak first, then lowest habit id. Settles up to yesterday.
local function settle()
  local settled = tonumber(redis.call('HGET', PLAYER, 'settled'))
  local last = today - 1
  if settled ~= nil and settled >= last then return end
  local held = held_freezes()
  if settled ~= nil and held > 0 then
    local alive = {}
    local raw = redis.call('HGETALL', ROSTER)
    for i = 1, #raw, 2 do
      local entry = cjson.decode(raw[i + 1])
      if entry.kind == 'daily' and entry.last and entry.last <= last then
        local h = {id = tonumber(raw[i]), rest = rest_set(entry), last = entry.last,
          streak = entry.streak or 1}
        -- Alive when every day after its last check-in that was settled before is a skip.
        local d = h.last + 1
        while d <= settled and is_skip(h.id, h.rest, d) do d = d + 1 end
        if d > settled then table.insert(alive, h) end
      end
    end
    local d = math.max(settled + 1, 1)
    while d <= last and held > 0 and #alive > 0 do
      local stake, still = {}, {}
      for _, h in ipairs(alive) do
        if h.last >= d then
          table.insert(still, h)  -- checked on d: nothing at stake
        elseif is_skip(h.id, h.rest, d) then
          table.insert(still, h)
        else
          table.insert(stake, h)
        end
      end
      table.sort(stake, function(a, b)
        if a.streak ~= b.streak then return a.streak > b.streak end
        return a.id < b.id
      end)
      for _, h in ipairs(stake) do
        if held > 0 then
          held = held - 1
          redis.call('HSET', FROZEN, h.id .. ':' .. d, 1)
          freeze_event('freeze_spent', h.id, d, -1)
          table.insert(still, h)  -- d is a skip day of it now: the streak lives on
        end
      end
      alive = still
      d = d + 1
    end
    redis.call('HSET', PLAYER, 'freezes', held)
  end
  redis.call('HSET', PLAYER, 'settled', last)
end
