-- Expire connections whose heartbeat deadline passed (their node died without a goodbye),
-- make away the users idle past the threshold and offline those whose grace ended.
-- ARGV[5]: most entries of each kind. Returns the number of expired connections, then the changes.
local limit = tonumber(ARGV[5])
-- user -> settled final (no grace): an expired connection's user already waited the TTL.
local users, order = {}, {}
local function affected(uid, final)
  if users[uid] == nil then order[#order + 1] = uid end
  users[uid] = users[uid] or final
end
local expired = redis.call('ZRANGEBYSCORE', DEADLINES, '-inf', NOW, 'LIMIT', 0, limit)
for _, member in ipairs(expired) do
  local tab = string.find(member, '\t', 1, true)
  local cid, uid = string.sub(member, 1, tab - 1), string.sub(member, tab + 1)
  redis.call('ZREM', DEADLINES, member)
  -- The hash stays (until its own expiry) so that a late heartbeat can revive the connection.
  redis.call('SREM', conns_key(uid), cid)
  affected(uid, true)
end
for _, uid in ipairs(redis.call('ZRANGEBYSCORE', AWAY_AT, '-inf', NOW, 'LIMIT', 0, limit)) do
  redis.call('ZREM', AWAY_AT, uid)
  affected(uid, false)
end
for _, uid in ipairs(redis.call('ZRANGEBYSCORE', LEAVING, '-inf', NOW, 'LIMIT', 0, limit)) do
  redis.call('ZREM', LEAVING, uid)
  affected(uid, true)
end
local changes = {}
for _, uid in ipairs(order) do changes[#changes + 1] = settle(uid, users[uid]) end
local out = flat(changes)
table.insert(out, 1, #expired)
return out
