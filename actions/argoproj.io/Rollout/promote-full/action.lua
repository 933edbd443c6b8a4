-- Promote a Rollout fully: skip the remaining steps, pauses and analysis and make the new
-- version stable. The controller reads status.promoteFull (a status subresource patch).
if obj.status == nil then
  error("Rollout " .. tostring((obj.metadata or {}).name) .. " has no status yet: wait for the controller to reconcile it", 0)
end
obj.status.promoteFull = true
return obj
