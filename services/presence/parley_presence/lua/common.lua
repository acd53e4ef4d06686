-- Shared head of every presence script (prepended to each): key names, the clock and the
-- status rule. Scripts run atomically in Redis, so two presence replicas handling events of
-- the same user can never both see "offline -> online" and both announce it.
--
-- KEYS[1] the root of presence's key names (``<prefix>{presence}:``, never a key itself): every
-- key below is built on it, so all share its hash tag and live on the slot the call is routed to
-- (Redis Cluster). A script cannot name its keys beforehand: it finds users in the indexes and
-- connections in a user's set while it runs. ARGV[1] connection TTL (ms), ARGV[2] away threshold
-- (ms), ARGV[3] how long bookkeeping outlives its last use (ms), ARGV[4] the offline grace (ms);
-- script arguments follow.

local P = KEYS[1]
local TTL = tonumber(ARGV[1])
local AWAY = tonumber(ARGV[2])
local KEEP = tonumber(ARGV[3])
local GRACE = tonumber(ARGV[4])

local DEADLINES = P .. 'deadlines'       -- zset: "<connection>\t<user>" -> heartbeat deadline
local AWAY_AT = P .. 'away_at'           -- zset: user -> when inactivity makes them away
local UNANNOUNCED = P .. 'unannounced'   -- zset: user -> when their last change was made
local LEAVING = P .. 'leaving'           -- zset: user -> when their offline grace ends

local function conn_key(cid) return P .. 'conn:' .. cid end
local function closed_key(cid) return P .. 'conn:' .. cid .. ':closed' end
local function conns_key(uid) return P .. 'user:' .. uid .. ':conns' end
local function status_key(uid) return P .. 'user:' .. uid .. ':status' end
local function active_key(uid) return P .. 'user:' .. uid .. ':active' end
local function role_key(uid) return P .. 'user:' .. uid .. ':role' end
local function available_key(uid) return P .. 'op:' .. uid .. ':available' end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local NOW = now_ms()

local function deadline_member(cid, uid) return cid .. '\t' .. uid end

local function touch(uid)
  redis.call('SET', active_key(uid), NOW, 'PX', KEEP)
end

-- '1' or '0' for operators and admins (available unless they toggled busy), '' for others.
local function availability(uid)
  local role = redis.call('GET', role_key(uid))
  if role ~= 'operator' and role ~= 'admin' then return '' end
  return redis.call('GET', available_key(uid)) or '1'
end

-- offline: no live connection; away: all hidden, or no activity for AWAY; online otherwise.
local function status_of(uid)
  local any, visible = false, false
  for _, cid in ipairs(redis.call('SMEMBERS', conns_key(uid))) do
    local shown = redis.call('HGET', conn_key(cid), 'visible')
    if shown then
      any = true
      if shown == '1' then visible = true end
    else
      redis.call('SREM', conns_key(uid), cid)
    end
  end
  if not any then return 'offline', 0 end
  local active = tonumber(redis.call('GET', active_key(uid)) or 0)
  if not visible or NOW - active >= AWAY then return 'away', active end
  return 'online', active
end

local function mark_unannounced(uid)
  redis.call('ZADD', UNANNOUNCED, NOW, uid)
  return {uid, redis.call('GET', status_key(uid)) or 'offline', availability(uid), tostring(NOW)}
end

-- Recompute a user's status; when it changed, store it and return the change to announce.
-- A user whose last connection went keeps their stored status for GRACE first (in LEAVING,
-- settled ``final`` by the sweeper when it ends): a reconnect within it (a page reload, a network
-- blip, a reconnect storm of a whole gateway) then changes and announces nothing.
local function settle(uid, final)
  local status, active = status_of(uid)
  if status == 'online' then
    redis.call('ZADD', AWAY_AT, active + AWAY, uid)
  else
    redis.call('ZREM', AWAY_AT, uid)
  end
  local old = redis.call('GET', status_key(uid)) or 'offline'
  if status == 'offline' and old ~= 'offline' and not final and GRACE > 0 then
    redis.call('ZADD', LEAVING, 'NX', NOW + GRACE, uid)
    return nil
  end
  redis.call('ZREM', LEAVING, uid)
  if status == old then return nil end
  if status == 'offline' then
    redis.call('DEL', status_key(uid))
  else
    redis.call('SET', status_key(uid), status)
  end
  return mark_unannounced(uid)
end

-- Flatten a list of changes ({uid, status, available, stamp} each) into one reply.
local function flat(changes)
  local out = {}
  for _, change in ipairs(changes) do
    for _, value in ipairs(change) do out[#out + 1] = value end
  end
  return out
end
