-- Restart a Rollout's pods: the controller replaces every pod created before spec.restartAt,
-- a few at a time, honouring PodDisruptionBudgets.
local os = require("os")
if obj.spec == nil then
  error("Rollout " .. tostring((obj.metadata or {}).name) .. " has no spec", 0)
end
obj.spec.restartAt = os.date("!%Y-%m-%dT%XZ")
return obj
