-- Ask the controller to poll the registry for this ImageWatch now rather than at the next
-- interval: stamps metadata.annotations["slipway.dev/check-requested-at"] with the current time
-- (RFC 3339 UTC). The controller checks when that time is after status.lastCheckedAt.
local os = require("os")
local name = tostring((obj.metadata or {}).name)
if obj.status == nil then
  error("ImageWatch " .. name .. " has no status yet: wait for the controller to reconcile it", 0)
end
for _, condition in ipairs(obj.status.conditions or {}) do
  if condition.type == "Error" and condition.status == "True" and condition.reason == "InvalidSpec" then
    error("ImageWatch " .. name .. " has an invalid spec, which is never checked: "
      .. tostring(condition.message or ""), 0)
  end
end
if obj.metadata == nil then
  obj.metadata = {}
end
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["slipway.dev/check-requested-at"] = os.date("!%Y-%m-%dT%XZ")
return obj
