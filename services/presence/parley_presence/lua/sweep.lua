-- Expire connections whose heartbeat deadline passed (their node died without a goodbye)
-- and make away the users idle past the threshold. ARGV[4]: most entries of each kind.
-- Returns the number of expired connections, then the changes.
local limit = tonumber(ARGV[4])
local users, order = {}, {}
local function affected(uid)
  if not users[uid] then users[uid] = true; order[#order + 1] = uid end
end
local expired = redis.call('ZRANGEBYSCORE', DEADLINES, '-inf', NOW, 'LIMIT', 0, limit)
for _, member in ipairs(expired) do
  local tab = string.find(member, '\t', 1, true)
  local cid, uid = string.sub(member, 1, tab - 1), string.sub(member, tab + 1)
  redis.call('ZREM', DEADLINES, member)
  -- The hash stays (until its own expiry) so that a late heartbeat can revive the connection.
  redis.call('SREM', conns_key(uid), cid)
  affected(uid)
end
for _, uid in ipairs(redis.call('ZRANGEBYSCORE', AWAY_AT, '-inf', NOW, 'LIMIT', 0, limit)) do
  redis.call('ZREM', AWAY_AT, uid)
  affected(uid)
end
local changes = {}
for _, uid in ipairs(order) do changes[#changes + 1] = settle(uid) end
local out = flat(changes)
table.insert(out, 1, #expired)
return out
