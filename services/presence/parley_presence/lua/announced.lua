-- Published: forget the pending announcements. ARGV[5..]: user, stamp, user, stamp, ...
-- A stamp that no longer matches belongs to a newer change, which its own publisher confirms.
for i = 5, #ARGV, 2 do
  local stamp = redis.call('ZSCORE', UNANNOUNCED, ARGV[i])
  if stamp and tonumber(stamp) == tonumber(ARGV[i + 1]) then redis.call('ZREM', UNANNOUNCED, ARGV[i]) end
end
return 0
