-- A moderator's signed point change; moves totals and boards like any award.
-- ARGV[8] points: the change (signed)
local points = tonumber(ARGV[8])
local total, weekly, board = add_points(points)
local new_badges = award_badges({total_points = total})
notify(board, points, new_badges)
local stream_id, event = emit({type = 'adjustment', points = points, badges = new_badges,
  board = board})
return cjson.encode({status = 'ok', points = total, weekly = weekly, new_badges = new_badges,
                     stream_id = stream_id, event = event})
