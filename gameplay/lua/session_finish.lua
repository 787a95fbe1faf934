-- Completes or abandons the running session, once.
-- KEYS[10] running-session hash  KEYS[11] this session's result key
-- ARGV[8] session id  ARGV[9] 'complete' | 'abandon'  ARGV[10] focused seconds
-- ARGV[11] grace (µs)  ARGV[12] window (µs)  ARGV[13] full-session bonus
-- ARGV[14] result ttl (s)
-- The limits are gameplay.rules' constants; the view words any refusal with the rules.
local RUNNING, RESULT = KEYS[10], KEYS[11]
local sid, action = ARGV[8], ARGV[9]

local done = redis.call('GET', RESULT)
if done then
  local total, weekly = totals()
  return cjson.encode({status = 'repeat', result = cjson.decode(done),
                       points = total, weekly = weekly})
end

local run = redis.call('HMGET', RUNNING, 'sid', 'started', 'planned', 'habit')
if run[1] ~= sid then
  return cjson.encode({status = 'not_running'})
end
local started, planned = tonumber(run[2]), tonumber(run[3])
local elapsed = tonumber(now) - started
local refusal = {started = run[2], planned = planned}
if elapsed > tonumber(ARGV[12]) then
  refusal.status = 'expired'
  return cjson.encode(refusal)
end

local focused, points, minutes = 0, 0, 0
local status = 'abandoned'
if action == 'complete' then
  focused = tonumber(ARGV[10])
  if focused < 0 or focused > planned * 60 then
    refusal.status = 'too_long'
    return cjson.encode(refusal)
  end
  if focused * 1000000 > elapsed + tonumber(ARGV[11]) then
    refusal.status = 'too_fast'
    return cjson.encode(refusal)
  end
  status = 'completed'
  minutes = math.floor(focused / 60)
  points = minutes
  if focused >= planned * 60 then points = points + tonumber(ARGV[13]) end
end

local result = {id = sid, status = status, focused_seconds = focused, points_awarded = points}
local new_badges = {}
local total, weekly = totals()
if status == 'completed' then
  local sessions = redis.call('HINCRBY', PLAYER, 'sessions', 1)
  total, weekly = add_points(points)
  count_activity(minutes, 1)
  new_badges = award_badges({completed_sessions = sessions, session_focused_seconds = focused,
                             total_points = total})
  notify(total, weekly, points, new_badges)
end
redis.call('SET', RESULT, cjson.encode(result), 'EX', tonumber(ARGV[14]))
redis.call('DEL', RUNNING)
local stream_id, event = emit({type = 'session_' .. status, points = points,
  focus_seconds = focused, badges = new_badges, session = {
    id = sid, started = run[2], planned = run[3], habit = run[4], status = status,
    ended = now, focused = focused}})
return cjson.encode({status = 'ok', result = result, points = total, weekly = weekly,
                     new_badges = new_badges, stream_id = stream_id, event = event})
