-- Users did something (sent, read, typed). ARGV[4..]: user ids.
local changes = {}
for i = 4, #ARGV do
  touch(ARGV[i])
  changes[#changes + 1] = settle(ARGV[i])
end
return flat(changes)
