-- Checks a habit in for one day, once.
-- KEYS[10] habit_days: the habit's set of checked days (ordinals)
-- KEYS[11] habit: the habit's hash
-- ARGV[8] day: the day's ordinal
-- ARGV[9] today: today's ordinal
-- ARGV[10] points_table: points by streak [s=1, s=2, ...]
-- ARGV[11] habit_id: the habit's id
-- ARGV[12] day_iso: the day (ISO date)
local DAYS, HABIT = KEYS[10], KEYS[11]
local day, today = tonumber(ARGV[8]), tonumber(ARGV[9])
local points_table = cjson.decode(ARGV[10])

local function streak_ending(d)
  local n = 0
  while redis.call('SISMEMBER', DAYS, d - n) == 1 do n = n + 1 end
  return n
end

local function current_streak()
  local s = streak_ending(today)
  if s == 0 then s = streak_ending(today - 1) end
  return s
end

local added = redis.call('SADD', DAYS, day)
if added == 0 then
  confirm_earlier()
  local total, weekly = totals()
  return cjson.encode({status = 'repeat', current = current_streak(),
    longest = tonumber(redis.call('HGET', HABIT, 'longest')) or 0,
    points = total, weekly = weekly})
end

local streak = streak_ending(day)
-- A backfilled yesterday can join the run that continues today.
local after = 0
while redis.call('SISMEMBER', DAYS, day + 1 + after) == 1 do after = after + 1 end
local run = streak + after
local longest = math.max(tonumber(redis.call('HGET', HABIT, 'longest')) or 0, run)
redis.call('HSET', HABIT, 'longest', longest)

local points = points_table[math.min(streak, #points_table)]
local total, weekly, board = add_points(points)
count_activity(0, 0)
local new_badges = award_badges({streak = run, total_points = total})
notify(board, points, new_badges)
local stream_id, event = emit({type = 'check_in', points = points, badges = new_badges, board = board,
  check_in = {habit = ARGV[11], day = ARGV[12], streak = streak, longest = longest}})
return cjson.encode({status = 'ok', points_awarded = points, current = current_streak(),
  longest = longest, points = total, weekly = weekly, new_badges = new_badges,
  stream_id = stream_id, event = event})
