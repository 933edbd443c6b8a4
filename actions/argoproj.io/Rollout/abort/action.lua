-- Abort a Rollout's update: traffic and pods go back to the stable version until a retry or
-- a new template. The controller reads status.abort (a status subresource patch).
if obj.status == nil then
  error("Rollout " .. tostring((obj.metadata or {}).name) .. " has no status yet: there is no update to abort", 0)
end
obj.status.abort = true
return obj
