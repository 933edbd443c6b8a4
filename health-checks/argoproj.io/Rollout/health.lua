-- Health of an argoproj.io Rollout as Argo CD shows it.
--
-- Runs in Argo CD's Lua sandbox: Lua 5.1 base functions and `table` only (no string, math or
-- JSON), with `obj` a copy of the live object. Every field may be missing.
--
-- The generator (src/argocd/argocd-cm.ts) flips the next line to `true` for the
-- pausedAsHealthy variant: a rollout paused at a step then reports Healthy, so later sync
-- waves and PostSync hooks are not blocked. Keep the line exactly in this form.
local pausedAsHealthy = false -- @option pausedAsHealthy

local spec = obj.spec or {}
local status = obj.status
local metadata = obj.metadata or {}
local strategy = spec.strategy or {}
local canary = strategy.canary or {}
local steps = canary.steps or {}

local function result(healthStatus, message)
  return { status = healthStatus, message = message }
end

local function describeDuration(duration)
  if type(duration) == "number" then
    return tostring(duration) .. "s"
  end
  return tostring(duration)
end

-- The kind of one canary step, as a person would say it in a status line.
local function describeStep(step)
  if step == nil then
    return "unknown step"
  end
  if step.setWeight ~= nil then
    return "setWeight " .. tostring(step.setWeight)
  end
  if step.pause ~= nil then
    if step.pause.duration ~= nil then
      return "pause " .. describeDuration(step.pause.duration)
    end
    return "pause"
  end
  if step.analysis ~= nil then
    return "analysis"
  end
  if step.experiment ~= nil then
    return "experiment"
  end
  if step.setCanaryScale ~= nil then
    return "setCanaryScale"
  end
  if step.setHeaderRoute ~= nil then
    return "setHeaderRoute"
  end
  if step.setMirrorRoute ~= nil then
    return "setMirrorRoute"
  end
  if step.plugin ~= nil then
    return "plugin " .. tostring(step.plugin.name)
  end
  return "step"
end

-- Where a canary with steps stands, as a phrase: "at step 2 of 8 (setWeight 20)" with the
-- traffic weight the last setWeight at or before that step asked for, or "after the last of
-- 8 steps"; nil when there are no steps to place it on.
local function stepPlace()
  local index = status.currentStepIndex
  local count = #steps
  if type(index) ~= "number" or count == 0 then
    return nil
  end
  if index >= count then
    return "after the last of " .. tostring(count) .. " steps"
  end
  local current = steps[index + 1]
  if type(current) ~= "table" then
    return nil
  end
  local weight = nil
  for i = 1, index + 1 do
    if type(steps[i]) == "table" and steps[i].setWeight ~= nil then
      weight = steps[i].setWeight
    end
  end
  local detail = nil
  if current.setWeight ~= nil then
    detail = describeStep(current)
  elseif current.pause ~= nil then
    if weight ~= nil then
      detail = "setWeight " .. tostring(weight)
    end
  elseif weight ~= nil then
    detail = describeStep(current) .. ", setWeight " .. tostring(weight)
  else
    detail = describeStep(current)
  end
  local place = "at step " .. tostring(index + 1) .. " of " .. tostring(count)
  if detail ~= nil then
    place = place .. " (" .. detail .. ")"
  end
  return place
end

local function firstPauseReason()
  local reasons = {}
  for _, condition in ipairs(status.pauseConditions or {}) do
    if condition.reason ~= nil then
      table.insert(reasons, condition.reason)
    end
  end
  -- An inconclusive result needs a decision, so it wins over a planned pause.
  for _, reason in ipairs(reasons) do
    if reason == "InconclusiveAnalysisRun" or reason == "InconclusiveExperiment" then
      return reason
    end
  end
  return reasons[1]
end

local function currentPauseDuration()
  local index = status.currentStepIndex
  if type(index) ~= "number" then
    return nil
  end
  local step = steps[index + 1]
  if step ~= nil and step.pause ~= nil and step.pause.duration ~= nil then
    return describeDuration(step.pause.duration)
  end
  return nil
end

-- Returns the message and whether the pause is a planned step pause (a canary pause step or
-- the blue-green pause before promotion), the only kind pausedAsHealthy reports as Healthy.
local function describePause()
  local place = stepPlace()
  local where = "Paused"
  if place ~= nil then
    where = "Paused " .. place
  end
  local reason = firstPauseReason()
  if spec.paused == true then
    return where .. ": paused by a user (spec.paused); run the resume action to continue", false
  end
  if reason == "InconclusiveAnalysisRun" then
    return where .. ": analysis was inconclusive; promote to continue or abort to roll back", false
  end
  if reason == "InconclusiveExperiment" then
    return where .. ": experiment was inconclusive; promote to continue or abort to roll back", false
  end
  if reason == "CanaryPauseStep" then
    local duration = currentPauseDuration()
    if duration ~= nil then
      return where .. ": timed pause of " .. duration .. ", continues on its own", true
    end
    return where .. ": waiting for promotion", true
  end
  if reason == "BlueGreenPause" then
    local blueGreen = strategy.blueGreen or {}
    if blueGreen.autoPromotionSeconds ~= nil then
      return where .. ": preview is up, promotes to active after "
        .. tostring(blueGreen.autoPromotionSeconds) .. "s or on promotion", true
    end
    return where .. ": preview is up, waiting for promotion to active", true
  end
  if reason ~= nil then
    return where .. ": " .. tostring(reason), false
  end
  if status.message ~= nil and status.message ~= "" then
    return where .. ": " .. tostring(status.message), false
  end
  return where, false
end

local function findCondition(conditionType, reason)
  for _, condition in ipairs(status.conditions or {}) do
    if condition.type == conditionType and (reason == nil or condition.reason == reason) then
      return condition
    end
  end
  return nil
end

local function describeDegraded()
  local message = status.message
  if message == nil or message == "" then
    message = "Rollout is degraded"
  end
  local invalid = findCondition("InvalidSpec", nil)
  if invalid ~= nil then
    return "Invalid spec: " .. tostring(invalid.message or message)
  end
  if status.abort == true then
    return message .. "; the stable version keeps serving, run the retry action to roll out again"
  end
  local deadline = findCondition("Progressing", "ProgressDeadlineExceeded")
  if deadline ~= nil then
    return "Progress deadline exceeded: " .. tostring(deadline.message or message)
  end
  return message
end

if status == nil then
  return result("Progressing", "Waiting for rollout spec update to be observed")
end

-- The controller reports the generation it acted on as a string. A value that is not a
-- number, or one above metadata.generation, is a pre-v0.10 pod-template hash: treat it as seen.
local observed = tonumber(status.observedGeneration)
local generation = metadata.generation
if type(generation) == "number" and observed ~= nil and observed < generation then
  return result("Progressing", "Waiting for rollout spec update to be observed (generation "
    .. tostring(generation) .. ", controller has seen " .. tostring(observed) .. ")")
end
if type(generation) == "number" and status.observedGeneration == nil then
  return result("Progressing", "Waiting for rollout spec update to be observed")
end

-- A workloadRef rollout also waits for the referenced workload's generation.
if spec.workloadRef ~= nil and metadata.annotations ~= nil then
  local workloadGeneration = metadata.annotations["rollout.argoproj.io/workload-generation"]
  local workloadSeen = status.workloadObservedGeneration
  if workloadGeneration ~= nil
    and (workloadSeen == nil or tonumber(workloadSeen) ~= tonumber(workloadGeneration)) then
    return result("Progressing", "Waiting for rollout spec update to be observed (workload generation "
      .. tostring(workloadGeneration) .. ", controller has seen "
      .. tostring(workloadSeen or "none") .. ")")
  end
end

local phase = status.phase
if phase == nil then
  return result("Progressing", "Waiting for rollout to finish: status has not been reconciled.")
end

if phase == "Paused" then
  local message, stepPause = describePause()
  if pausedAsHealthy and stepPause then
    return result("Healthy", message .. " (reported Healthy: pausedAsHealthy)")
  end
  return result("Suspended", message)
end

if phase == "Degraded" then
  return result("Degraded", describeDegraded())
end

if phase == "Progressing" then
  local message = status.message
  if message == nil or message == "" then
    message = "Rollout is progressing"
  end
  -- Only an update in progress is "at a step"; a first deploy skips the steps.
  local place = stepPlace()
  if place ~= nil and status.stableRS ~= nil and status.stableRS ~= status.currentPodHash then
    return result("Progressing", "Canary " .. place .. ": " .. message)
  end
  return result("Progressing", message)
end

if phase == "Healthy" then
  return result("Healthy", status.message or "")
end

return result("Unknown", "Unrecognised rollout phase " .. tostring(phase) .. ": " .. tostring(status.message or ""))
