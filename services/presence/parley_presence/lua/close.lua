-- A connection closed. ARGV[5..6]: connection, user.
local cid, uid = ARGV[5], ARGV[6]
redis.call('SET', closed_key(cid), '1', 'PX', TTL)
redis.call('DEL', conn_key(cid))
redis.call('ZREM', DEADLINES, deadline_member(cid, uid))
redis.call('SREM', conns_key(uid), cid)
return flat({settle(uid)})
