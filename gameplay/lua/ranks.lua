#!lua flags=no-writes
-- A visible player's competition ranks on the global boards for their exact live points
-- (read only): 1 + the number of other players with strictly more points. The player's
-- own score there may lag their live one (the feeder's delay), so it is left out.
-- KEYS[1] board_all: the global board "all"
-- KEYS[2] board_week: the global board "week"
-- ARGV[1] player_id: the player's id
-- ARGV[2] points: their live all-time points
-- ARGV[3] weekly: their live points this week
local function rank(board, points)
  local above = redis.call('ZCOUNT', board, '(' .. points, '+inf')
  local own = tonumber(redis.call('ZSCORE', board, ARGV[1]))
  if own ~= nil and own > tonumber(points) then above = above - 1 end
  return above + 1
end
return cjson.encode({rank_all = rank(KEYS[1], ARGV[2]), rank_week = rank(KEYS[2], ARGV[3])})
