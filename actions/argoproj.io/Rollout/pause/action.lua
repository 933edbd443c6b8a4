-- Pause a Rollout's update where it is, until resumed.
if obj.spec == nil then
  error("Rollout " .. tostring((obj.metadata or {}).name) .. " has no spec", 0)
end
obj.spec.paused = true
return obj
