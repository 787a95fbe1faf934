#!lua flags=allow-oom
-- Trims a shard's stream past what both of its consumer groups have finished: the flush
-- (`flushers`) and the board feeder (`board-feeder`). Allowed at maxmemory: trimming is
-- how the flush frees a full Redis. Until both groups exist nothing is trimmed, so a group
-- created late (from the start of the stream) still reads every entry.
-- KEYS[1] stream: the shard's stream
-- ARGV[1..] the consumer groups that must have finished an entry
if redis.call('EXISTS', KEYS[1]) == 0 then return cjson.encode({trimmed = 0}) end
local groups = {}
for _, info in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local fields = {}
  for i = 1, #info, 2 do fields[info[i]] = info[i + 1] end
  groups[fields['name']] = fields
end
-- An entry below `floor` is finished by every group: delivered and acknowledged.
local floor = nil
for i = 1, #ARGV do
  local group = groups[ARGV[i]]
  if group == nil then return cjson.encode({trimmed = 0}) end
  local done
  if tonumber(group['pending']) > 0 then
    done = redis.call('XPENDING', KEYS[1], ARGV[i])[2]
  else
    local ms, seq = string.match(group['last-delivered-id'], '(%d+)-(%d+)')
    done = ms .. '-' .. string.format('%d', tonumber(seq) + 1)
  end
  local dms, dseq = string.match(done, '(%d+)-(%d+)')
  if floor == nil then floor = done
  else
    local fms, fseq = string.match(floor, '(%d+)-(%d+)')
    if tonumber(dms) < tonumber(fms) or (dms == fms and tonumber(dseq) < tonumber(fseq)) then
      floor = done
    end
  end
end
return cjson.encode({trimmed = redis.call('XTRIM', KEYS[1], 'MINID', floor)})
