-- GET /api/ping (the authenticated no-op) as the players in turn.
-- wrk args: <token file> <threads>
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

local tokens, i

function init(args)
  tokens = load_tokens(args[1], thread_index, tonumber(args[2]))
  i = 0
end

function request()
  i = i % #tokens + 1
  return wrk.format("GET", "/api/ping", {["Authorization"] = "Token " .. tokens[i]})
end
