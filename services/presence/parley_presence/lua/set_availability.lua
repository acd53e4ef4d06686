-- An operator's manual toggle. ARGV[5..6]: user, '1' (available) or '0' (busy).
-- A toggle is a change to announce even when the online/away/offline status stays.
local uid = ARGV[5]
local before = redis.call('GET', available_key(uid)) or '1'
redis.call('SET', available_key(uid), ARGV[6])
touch(uid)
local change = settle(uid)
if change then return flat({change}) end
if before ~= ARGV[6] and redis.call('EXISTS', role_key(uid)) == 1 then return mark_unannounced(uid) end
return {}
