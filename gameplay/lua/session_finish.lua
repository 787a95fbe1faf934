-- Completes or abandons the running session, once.
-- KEYS[10] running: the running-session hash
-- KEYS[11] result: this session's result key
-- ARGV[8] session_id: the session's id
-- ARGV[9] action: 'complete' | 'abandon'
-- ARGV[10] focused_seconds: focused seconds reported
-- ARGV[11] grace: grace (µs)
-- ARGV[12] window: window (µs)
-- ARGV[13] full_session_bonus: full-session bonus (points)
-- ARGV[14] result_ttl: result ttl (s)
-- ARGV[15] short_session_seconds: short-session limit (focused seconds)
-- The limits are gameplay.rules' constants; the view words any refusal with the rules.
-- The result key keeps the whole first answer (result, totals, new badges): a repeat
-- answers exactly that, so a client whose first answer was lost still shows its badge.
local RUNNING, RESULT = KEYS[10], KEYS[11]
local sid, action = ARGV[8], ARGV[9]

local done = redis.call('GET', RESULT)
if done then
  confirm_earlier()
  local answer = cjson.decode(done)
  answer.status = 'repeat'
  return cjson.encode(answer)
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
local status, kind = 'abandoned', 'session_abandoned'
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
  status, kind = 'completed', 'session_completed'
  if focused < tonumber(ARGV[15]) then kind = 'session_short' end
  minutes = math.floor(focused / 60)
  points = minutes
  if focused >= planned * 60 then points = points + tonumber(ARGV[13]) end
end

local result = {id = sid, status = status, focused_seconds = focused, points_awarded = points}
local new_badges = {}
local total, weekly = totals()
local board = nil
if kind == 'session_completed' then
  local sessions = redis.call('HINCRBY', PLAYER, 'sessions', 1)
  total, weekly, board = add_points(points)
  count_activity(minutes, 1)
  new_badges = award_badges({completed_sessions = sessions, session_focused_seconds = focused,
                             total_points = total})
  notify(board, points, new_badges)
elseif kind == 'session_short' then
  -- Its points (and so the points badge) and its minutes; no session anywhere.
  total, weekly, board = add_points(points)
  count_activity(minutes, 0)
  new_badges = award_badges({total_points = total})
  notify(board, points, new_badges)
end
local answer = {result = result, points = total, weekly = weekly, new_badges = new_badges}
redis.call('SET', RESULT, cjson.encode(answer), 'EX', tonumber(ARGV[14]))
redis.call('DEL', RUNNING)
-- An abandonment awards nothing and carries no board record (board stays nil).
local stream_id, event = emit({type = kind, points = points, board = board,
  focus_seconds = focused, badges = new_badges, session = {
    id = sid, started = run[2], planned = run[3], habit = run[4], status = status,
    ended = now, focused = focused,
    answer = {points = total, weekly = weekly, new_badges = new_badges}}})
answer.status, answer.stream_id, answer.event = 'ok', stream_id, event
return cjson.encode(answer)
