-- Checks a habit in for one day, once: settles the freezes of the days that ended first,
-- then scores the day by the habit's schedule.
-- KEYS[13] habit_days: the habit's set of checked days (ordinals)
-- KEYS[14] habit: the habit's hash (longest, first)
-- ARGV[10] day: the day's ordinal
-- ARGV[11] points_table: a daily check-in's points by streak [s=1, s=2, ...]
-- ARGV[12] habit_id: the habit's id
-- ARGV[13] schedule: {kind: "daily", rest: [weekdays]} or {kind: "weekly", target: n}
-- ARGV[14] day_iso: the day (ISO date)
local DAYS, HABIT = KEYS[13], KEYS[14]
local day = tonumber(ARGV[10])
local points_table = cjson.decode(ARGV[11])
local habit_id = ARGV[12]
local schedule = cjson.decode(ARGV[13])
local rest = rest_set(schedule)
local weekly = schedule.kind == 'weekly'
local target = tonumber(schedule.target) or 0

settle()

-- The first checked day bounds every walk back (kept in the habit's hash; a habit checked
-- before it was kept there finds it once).
local first = tonumber(redis.call('HGET', HABIT, 'first'))
if first == nil then
  for _, d in ipairs(redis.call('SMEMBERS', DAYS)) do
    d = tonumber(d)
    if first == nil or d < first then first = d end
  end
end
local added = redis.call('SADD', DAYS, day)
if first == nil or day < first then first = day end
if added == 1 then redis.call('HSET', HABIT, 'first', first) end

-- The habit's current streak, in days or weeks.
local function current()
  if weekly then
    local w = monday(today)
    if week_count(DAYS, w) >= target then return week_streak_at(DAYS, target, first, w) end
    return week_streak_at(DAYS, target, first, w - 7)
  end
  if redis.call('SISMEMBER', DAYS, today) == 1 then
    return streak_at(DAYS, habit_id, rest, first, today)
  end
  return streak_at(DAYS, habit_id, rest, first, today - 1)
end

if added == 0 then
  confirm_earlier()
  local total, weekly_points = totals()
  return cjson.encode({status = 'repeat', current = current(),
    longest = tonumber(redis.call('HGET', HABIT, 'longest')) or 0,
    points = total, weekly = weekly_points, freezes = held_freezes(),
    extra_events = extra_events})
end

-- Checking a frozen day gives its freeze back (up to the most a player holds).
local held = held_freezes()
if redis.call('HDEL', FROZEN, habit_id .. ':' .. day) == 1 then
  local delta = held < habit_rules.freezes_max and 1 or 0
  held = held + delta
  redis.call('HSET', PLAYER, 'freezes', held)
  freeze_event('freeze_refunded', habit_id, day, delta)
end

local streak, run, points
if weekly then
  local w = monday(day)
  local met = week_count(DAYS, w) >= target
  streak = week_streak_at(DAYS, target, first, w)
  points = habit_rules.base_points
  if week_count(DAYS, w) == target then
    points = points + target * (habit_rules.week_bonus_base
      + math.min(streak - 1, habit_rules.week_bonus_cap))
  end
  -- A backfill that meets last week can join the run of this week.
  run = streak
  local next_week = w + 7
  while next_week <= monday(today) do
    if week_count(DAYS, next_week) >= target then run = run + 1
    elseif not week_on_vacation(next_week) then break end
    next_week = next_week + 7
  end
  if not met then run = 0 end
else
  streak = streak_at(DAYS, habit_id, rest, first, day)
  points = points_table[math.min(streak, #points_table)]
  -- A backfilled yesterday can join the run that continues today.
  run = streak
  local next_day = day + 1
  while next_day <= today do
    if redis.call('SISMEMBER', DAYS, next_day) == 1 then run = run + 1
    elseif not is_skip(habit_id, rest, next_day) then break end
    next_day = next_day + 1
  end
  if streak % habit_rules.freeze_every == 0 and held < habit_rules.freezes_max then
    held = held + 1
    redis.call('HSET', PLAYER, 'freezes', held)
    freeze_event('freeze_earned', habit_id, day, 1)
  end
end
local longest = math.max(tonumber(redis.call('HGET', HABIT, 'longest')) or 0, run)
redis.call('HSET', HABIT, 'longest', longest)

-- The roster entry settling reads: the last checked day and its streak.
local entry = redis.call('HGET', ROSTER, habit_id)
entry = entry and cjson.decode(entry) or {}
entry.kind, entry.rest, entry.target = schedule.kind, schedule.rest or {}, target
if entry.last == nil or day >= entry.last then
  entry.last = day
  entry.streak = weekly and streak or streak_at(DAYS, habit_id, rest, first, day)
elseif not weekly then
  entry.streak = streak_at(DAYS, habit_id, rest, first, entry.last)
end
if #entry.rest == 0 then entry.rest = nil end
redis.call('HSET', ROSTER, habit_id, cjson.encode(entry))

local total, weekly_points, board = add_points(points)
count_activity(0, 0)
-- Streak badges count days: a weekly habit's run is in weeks.
local new_badges = award_badges({streak = weekly and 0 or run, total_points = total})
notify(board, points, new_badges)
local stream_id, event = emit({type = 'check_in', points = points, badges = new_badges,
  board = board,
  check_in = {habit = habit_id, day = ARGV[14], streak = streak, longest = longest}})
return cjson.encode({status = 'ok', points_awarded = points, current = current(),
  longest = longest, points = total, weekly = weekly_points, new_badges = new_badges,
  freezes = held, stream_id = stream_id, event = event, extra_events = extra_events})
