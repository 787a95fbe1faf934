#!lua
-- Shared by every action script (prepended by gameplay/scripts.py). The script runs
-- atomically: either all of an action's effects and its event happen, or none. The
-- shebang makes Redis apply the script-flags rules: every key is declared in KEYS and all
-- of them are of the player's shard, one slot (a cluster refuses anything else).
--
-- The slots, by the names gameplay/scripts.py gives them (a test holds the two together);
-- an action script numbers its own after these.
-- KEYS[1] player: the player's hash
-- KEYS[2] badges: the player's badges hash
-- KEYS[3] board_all: the shard's board "all"
-- KEYS[4] board_week: the shard's board "week"
-- KEYS[5] hidden: the shard's hidden set
-- KEYS[6] community: the shard's community day hash
-- KEYS[7] community_active: the shard's community day active players
-- KEYS[8] stream: the shard's event stream
-- KEYS[9] changes: the shard's change counters
-- ARGV[1] event_base: the event's base (JSON, gameplay.events.EventBase)
-- ARGV[2] player_id: the player's id
-- ARGV[3] week: the ISO week id
-- ARGV[4] now: now (epoch µs)
-- ARGV[5] badge_rules: [[code, measure, threshold], ...]
-- ARGV[6] period_ttl: ttl (s) of the weekly board and community day keys
-- ARGV[7] news_channel: the shard's (sharded) pub/sub channel for personal news
local PLAYER, BADGES, BOARD_ALL, BOARD_WEEK = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local HIDDEN, COMMUNITY, ACTIVE, STREAM, CHANGES = KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local base_json, player_id, week, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local badge_rules = cjson.decode(ARGV[5])
local ttl = tonumber(ARGV[6])
local news_channel = ARGV[7]

-- A deleted player's hash is a tombstone holding only `deleted` (player_purge.lua): an
-- action of theirs still in flight when they were deleted records nothing, and makes
-- none of their keys again (gameplay.store raises PlayerDeleted).
if redis.call('HEXISTS', PLAYER, 'deleted') == 1 then
  return redis.error_reply('DELETED player ' .. player_id .. ' was deleted')
end

-- The player's live total, this week's points and completed sessions.
local function totals()
  local v = redis.call('HMGET', PLAYER, 'points', 'wk', 'wkpts', 'sessions')
  local weekly = 0
  if v[2] == week then weekly = tonumber(v[3]) or 0 end
  return tonumber(v[1]) or 0, weekly, tonumber(v[4]) or 0
end

-- Moves the total, the week's points and (for visible players) the shard's boards, and
-- bumps the version of the player's scores. Returns what the global boards' feeder needs
-- (gameplay.events.BoardRecord), which every award event carries.
local function add_points(points)
  local total = redis.call('HINCRBY', PLAYER, 'points', points)
  if redis.call('HGET', PLAYER, 'wk') ~= week then
    redis.call('HSET', PLAYER, 'wk', week, 'wkpts', 0)
  end
  local weekly = redis.call('HINCRBY', PLAYER, 'wkpts', points)
  local version = redis.call('HINCRBY', PLAYER, 'v', 1)
  local listed = redis.call('SISMEMBER', HIDDEN, player_id) == 0
  if listed then
    -- Scores are set, not incremented, so a board always equals the player's hash.
    redis.call('ZADD', BOARD_ALL, total, player_id)
    redis.call('ZADD', BOARD_WEEK, weekly, player_id)
    redis.call('EXPIRE', BOARD_WEEK, ttl)
  end
  return total, weekly, {total = total, weekly = weekly, version = version, listed = listed}
end

-- Awards every badge whose measure reached its threshold and that the player lacks.
local function award_badges(measures)
  local new = {}
  for _, rule in ipairs(badge_rules) do
    local value = measures[rule[2]]
    if value ~= nil and value >= rule[3] then
      if redis.call('HSETNX', BADGES, rule[1], now) == 1 then
        table.insert(new, rule[1])
      end
    end
  end
  return new
end

local function count_activity(focus_minutes, sessions)
  if focus_minutes > 0 then redis.call('HINCRBY', COMMUNITY, 'focus_minutes', focus_minutes) end
  if sessions > 0 then redis.call('HINCRBY', COMMUNITY, 'sessions', sessions) end
  redis.call('SADD', ACTIVE, player_id)
  redis.call('EXPIRE', COMMUNITY, ttl)
  redis.call('EXPIRE', ACTIVE, ttl)
  redis.call('HINCRBY', CHANGES, 'community', 1)
end

-- Publishes the player's new totals for their websockets (fire and forget). Ranks are
-- not the shard's to know: the pusher adds them from the global boards.
local function notify(board, awarded, new_badges)
  redis.call('SPUBLISH', news_channel, cjson.encode({player = tonumber(player_id),
    points = board.total, weekly = board.weekly, awarded = awarded, badges = new_badges,
    listed = board.listed, week = week}))
end

-- Appends one event (the base plus `fields`) to the stream; returns (stream id, JSON).
local function emit(fields, base)
  local event = cjson.decode(base or base_json)
  for k, v in pairs(fields) do event[k] = v end
  local encoded = cjson.encode(event)
  return redis.call('XADD', STREAM, '*', 'e', encoded), encoded
end

-- A repeat (or a conflict) writes nothing, yet it confirms an earlier action that may not be
-- on a replica: that action was answered 503 because no replica had it in time, or its
-- answer was lost. WAIT counts the replicas that have this connection's last write, which
-- for a script that wrote nothing is some older write, so the repeat could be answered while
-- what it confirms lived on the master alone, and a failover then lost it. One small write,
-- after the original in the replication stream, makes the WAIT that follows wait for both.
local function confirm_earlier()
  redis.call('HSET', CHANGES, 'confirmed', now)
end
