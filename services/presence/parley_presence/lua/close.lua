-- A connection closed. ARGV[4..5]: connection, user.
local cid, uid = ARGV[4], ARGV[5]
redis.call('SET', closed_key(cid), '1', 'PX', TTL)
redis.call('DEL', conn_key(cid))
redis.call('ZREM', DEADLINES, deadline_member(cid, uid))
redis.call('SREM', conns_key(uid), cid)
return flat({settle(uid)})
