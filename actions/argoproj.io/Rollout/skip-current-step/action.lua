-- Skip the canary step the Rollout is at: clear the pause that holds it, if any, and move
-- status.currentStepIndex to the next step.
local status = obj.status
local steps = (((obj.spec or {}).strategy or {}).canary or {}).steps or {}
if status == nil or type(status.currentStepIndex) ~= "number" then
  error("Rollout " .. tostring((obj.metadata or {}).name) .. " is not at a canary step", 0)
end
if status.currentStepIndex >= #steps then
  error("Rollout " .. tostring((obj.metadata or {}).name) .. " has no step left to skip", 0)
end
if status.pauseConditions ~= nil and #status.pauseConditions > 0 then
  status.pauseConditions = nil
end
status.currentStepIndex = status.currentStepIndex + 1
return obj
