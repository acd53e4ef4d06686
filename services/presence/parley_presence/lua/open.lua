-- A connection opened. ARGV[5..9]: connection, user, node, role, client kind.
local cid, uid = ARGV[5], ARGV[6]
-- A close that overtook its open (a retried event) leaves a tombstone: do not resurrect it.
if redis.call('EXISTS', closed_key(cid)) == 1 then return {} end
local key = conn_key(cid)
if redis.call('EXISTS', key) == 0 then
  redis.call('HSET', key, 'user', uid, 'node', ARGV[7], 'role', ARGV[8], 'kind', ARGV[9],
    'visible', '1', 'opened', NOW, 'hb', NOW)
end
redis.call('PEXPIRE', key, TTL + KEEP)
redis.call('ZADD', DEADLINES, NOW + TTL, deadline_member(cid, uid))
redis.call('SADD', conns_key(uid), cid)
redis.call('PEXPIRE', conns_key(uid), TTL + KEEP)
redis.call('SET', role_key(uid), ARGV[8], 'PX', KEEP)
touch(uid)
return flat({settle(uid)})
