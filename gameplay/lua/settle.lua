-- Settles the player's streak freezes up to yesterday (habits.lua), for a read that must
-- see them; answers what the player's streaks are read with.
settle()
return cjson.encode({freezes = held_freezes(), frozen = redis.call('HGETALL', FROZEN),
  vacations = redis.call('HGETALL', VACATIONS), extra_events = extra_events})
