-- Ask the controller to sync this GitTarget's repository now rather than at the next resync:
-- stamps metadata.annotations["slipway.dev/sync-requested-at"] with the current time (RFC 3339
-- UTC). The controller syncs when that time is after status.lastSyncedAt.
local os = require("os")
local name = tostring((obj.metadata or {}).name)
if obj.status == nil then
  error("GitTarget " .. name .. " has no status yet: wait for the controller to sync it", 0)
end
if (obj.spec or {}).mode == "pull-request" then
  error("GitTarget " .. name .. " is in pull-request mode, which is not available yet: a sync writes nothing", 0)
end
for _, condition in ipairs(obj.status.conditions or {}) do
  if condition.type == "Error" and condition.status == "True" and condition.reason == "InvalidSpec" then
    error("GitTarget " .. name .. " has an invalid spec, which is never synced: "
      .. tostring(condition.message or ""), 0)
  end
end
if obj.metadata == nil then
  obj.metadata = {}
end
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["slipway.dev/sync-requested-at"] = os.date("!%Y-%m-%dT%XZ")
return obj
