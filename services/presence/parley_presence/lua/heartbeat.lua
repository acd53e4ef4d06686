-- A gateway node's batch of live connections. ARGV[5..]: connection ids.
-- A connection the sweeper expired (its heartbeats were lost for longer than the TTL, e.g.
-- during a broker outage) but whose node still reports it is live again: it is revived and
-- its user's status settled. One with no record at all (Redis lost its data) is returned for its
-- node to announce again. Returns the unknown ids (a list), then the changes.
local unknown, revived = {}, {}
for i = 5, #ARGV do
  local cid = ARGV[i]
  local key = conn_key(cid)
  local uid = redis.call('HGET', key, 'user')
  if uid then
    local member = deadline_member(cid, uid)
    if not redis.call('ZSCORE', DEADLINES, member) then
      redis.call('SADD', conns_key(uid), cid)
      revived[#revived + 1] = uid
    end
    redis.call('ZADD', DEADLINES, NOW + TTL, member)
    redis.call('HSET', key, 'hb', NOW)
    redis.call('PEXPIRE', key, TTL + KEEP)
    redis.call('PEXPIRE', conns_key(uid), TTL + KEEP)
    redis.call('PEXPIRE', role_key(uid), KEEP)
  else
    unknown[#unknown + 1] = cid
  end
end
local changes = {}
for _, uid in ipairs(revived) do changes[#changes + 1] = settle(uid) end
local out = flat(changes)
table.insert(out, 1, unknown)
return out
