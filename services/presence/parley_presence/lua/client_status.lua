-- A client reported its status. ARGV[5..6]: connection, online | visible | hidden.
local key = conn_key(ARGV[5])
local uid = redis.call('HGET', key, 'user')
if not uid then return {} end
if ARGV[6] == 'hidden' then
  redis.call('HSET', key, 'visible', '0')
else
  redis.call('HSET', key, 'visible', '1')
  touch(uid)
end
return flat({settle(uid)})
