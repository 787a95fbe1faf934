-- Starts a focus session unless one is running.
-- KEYS[10] running-session hash
-- ARGV[7] session id  ARGV[8] planned minutes  ARGV[9] habit id or ''
-- ARGV[10] result key prefix  ARGV[11] window (µs)  ARGV[12] event base for closing an
-- expired session  ARGV[13] result ttl (s)
local RUNNING = KEYS[10]
local sid, planned, habit = ARGV[7], ARGV[8], ARGV[9]
local window = tonumber(ARGV[11])

local run = redis.call('HMGET', RUNNING, 'sid', 'started', 'planned', 'habit')
if run[1] then
  if tonumber(now) - tonumber(run[2]) <= window then
    return cjson.encode({status = 'conflict', running_session_id = run[1]})
  end
  -- Too old to complete or abandon: close it as abandoned so the player is not stuck.
  local closed = {id = run[1], status = 'abandoned', focused_seconds = 0, points_awarded = 0}
  redis.call('SET', ARGV[10] .. run[1], cjson.encode(closed), 'EX', tonumber(ARGV[13]))
  emit({type = 'session_abandoned', points = 0, session = {
    id = run[1], started = run[2], planned = run[3], habit = run[4],
    status = 'abandoned', ended = now, focused = 0}}, ARGV[12])
end

redis.call('HSET', RUNNING, 'sid', sid, 'started', now, 'planned', planned, 'habit', habit)
local stream_id, event = emit({type = 'session_started', points = 0, session = {
  id = sid, started = now, planned = planned, habit = habit, status = 'running'}})
return cjson.encode({status = 'ok', started = now, stream_id = stream_id, event = event})
