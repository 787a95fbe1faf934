-- The gamified action: each player in turn starts a focus session (POST /api/sessions)
-- and completes it with the next request (POST /api/sessions/{id}/complete,
-- focused_seconds 0, which is accepted right after the start: a short session, the same
-- one script and one event as any completion, with no badge to award). A player has at most
-- one running session, so a thread only moves to its next player after the complete.
-- wrk args: <token file> <threads>
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

local tokens, i, running

local function headers()
  return {["Authorization"] = "Token " .. tokens[i], ["Content-Type"] = "application/json"}
end

function init(args)
  tokens = load_tokens(args[1], thread_index, tonumber(args[2]))
  i = 0
end

function request()
  if running then
    return wrk.format("POST", "/api/sessions/" .. running .. "/complete", headers(),
                      '{"focused_seconds": 0}')
  end
  i = i % #tokens + 1
  return wrk.format("POST", "/api/sessions", headers(), '{"planned_minutes": 25}')
end

local function uuid_after(body, field)
  return body:match('"' .. field .. '"%s*:%s*"([0-9a-f%-]+)"')
end

function response(status, _headers, body)
  if running then
    running = nil  -- completed (or refused, which wrk counts as a status error)
  elseif status == 201 then
    running = uuid_after(body, "id")
  elseif status == 409 then
    -- The player still has a session running (an earlier run stopped between a start
    -- and its complete): complete that one next, so the player is never stuck.
    running = uuid_after(body, "running_session_id")
  end
end
