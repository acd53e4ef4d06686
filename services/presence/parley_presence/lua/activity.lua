-- Users did something (sent, read, typed). ARGV[5..]: user ids.
local changes = {}
for i = 5, #ARGV do
  touch(ARGV[i])
  changes[#changes + 1] = settle(ARGV[i])
end
return flat(changes)
