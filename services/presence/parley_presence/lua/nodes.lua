-- Which gateway nodes hold the users' live connections. ARGV[5..]: user ids.
-- Returns user, node, user, node, ... (one pair per live connection). Read-only.
local out = {}
for i = 5, #ARGV do
  local uid = ARGV[i]
  for _, cid in ipairs(redis.call('SMEMBERS', conns_key(uid))) do
    local node = redis.call('HGET', conn_key(cid), 'node')
    if node then
      out[#out + 1] = uid
      out[#out + 1] = node
    end
  end
end
return out
