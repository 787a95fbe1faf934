-- Starts a focus session unless one is running.
-- KEYS[10] running: the running-session hash
-- ARGV[8] session_id: the new session's id
-- ARGV[9] planned_minutes: planned minutes
-- ARGV[10] habit_id: habit id or ''
-- ARGV[11] result_prefix: result key prefix
-- ARGV[12] window: window (µs)
-- ARGV[13] closing_base: event base for closing an expired session
-- ARGV[14] result_ttl: result ttl (s)
local RUNNING = KEYS[10]
local sid, planned, habit = ARGV[8], ARGV[9], ARGV[10]
local window = tonumber(ARGV[12])

local run = redis.call('HMGET', RUNNING, 'sid', 'started', 'planned', 'habit')
if run[1] then
  if tonumber(now) - tonumber(run[2]) <= window then
    confirm_earlier()
    return cjson.encode({status = 'conflict', running_session_id = run[1]})
  end
  -- Too old to complete or abandon: close it as abandoned so the player is not stuck.
  local closed = {id = run[1], status = 'abandoned', focused_seconds = 0, points_awarded = 0}
  -- Stored as session_finish stores an answer (an abandonment's answer has no totals).
  redis.call('SET', ARGV[11] .. run[1], cjson.encode({result = closed}), 'EX',
             tonumber(ARGV[14]))
  emit({type = 'session_abandoned', points = 0, session = {
    id = run[1], started = run[2], planned = run[3], habit = run[4],
    status = 'abandoned', ended = now, focused = 0}}, ARGV[13])
end

redis.call('HSET', RUNNING, 'sid', sid, 'started', now, 'planned', planned, 'habit', habit)
local stream_id, event = emit({type = 'session_started', points = 0, session = {
  id = sid, started = now, planned = planned, habit = habit, status = 'running'}})
return cjson.encode({status = 'ok', started = now, stream_id = stream_id, event = event})
