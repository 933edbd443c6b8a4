-- Resume a paused Rollout: clear the controller's pause conditions and a user's spec.paused.
-- Only fields that say "paused" are touched, so a rollout that is not paused is left as it is.
if obj.status ~= nil and obj.status.pauseConditions ~= nil and #obj.status.pauseConditions > 0 then
  obj.status.pauseConditions = nil
end
if obj.spec ~= nil and obj.spec.paused == true then
  obj.spec.paused = false
end
return obj
