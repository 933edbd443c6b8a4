-- Retry an aborted Rollout: the controller starts the update again from the first step.
-- Sends status.abort = false, the patch the Argo Rollouts kubectl plugin sends (Argo CD's
-- built-in action deletes the field instead; the controller treats both alike).
if obj.status == nil then
  error("Rollout " .. tostring((obj.metadata or {}).name) .. " has no status yet: there is nothing to retry", 0)
end
obj.status.abort = false
return obj
