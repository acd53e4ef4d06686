-- Operator load: the open conversations assigned to each operator, fed by conversation
-- events. ARGV[5..7]: conversation, status (open | queued | closed), operator ('' for none).
-- Sets make it idempotent: a redelivered event changes nothing.
local conv, status, operator = ARGV[5], ARGV[6], ARGV[7]
local closed = P .. 'conv:' .. conv .. ':closed'
local assigned = P .. 'conv:' .. conv .. ':operator'
local function load_key(uid) return P .. 'op:' .. uid .. ':load' end
-- A closed conversation never reopens: a late "open" (a retried event) must not count again.
if redis.call('EXISTS', closed) == 1 then return 0 end
local before = redis.call('GET', assigned)
if before and before ~= operator then redis.call('SREM', load_key(before), conv) end
if status == 'open' and operator ~= '' then
  redis.call('SADD', load_key(operator), conv)
  redis.call('SET', assigned, operator)
else
  redis.call('DEL', assigned)
  if operator ~= '' then redis.call('SREM', load_key(operator), conv) end
end
if status == 'closed' then redis.call('SET', closed, '1', 'PX', KEEP) end
return 1
