-- Changes made more than ARGV[5] ms ago and still not confirmed published (the replica that
-- made them crashed, or the broker refused): claim them for ARGV[5] ms and return each
-- user's current state, to announce again. ARGV[6]: most users.
local claimed = {}
local older = NOW - tonumber(ARGV[5])
for _, uid in ipairs(redis.call('ZRANGEBYSCORE', UNANNOUNCED, '-inf', older, 'LIMIT', 0, tonumber(ARGV[6]))) do
  claimed[#claimed + 1] = mark_unannounced(uid)
end
return flat(claimed)
