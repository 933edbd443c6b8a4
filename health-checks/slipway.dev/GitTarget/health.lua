-- Health of a slipway.dev GitTarget as Argo CD shows it.
--
-- Runs in Argo CD's Lua sandbox: Lua 5.1 base functions and `table` only (no string, math or
-- JSON), with `obj` a copy of the live object. Every field may be missing.
--
-- The repository sync (src/gitsync/gittarget/reconciler.ts) writes observedGeneration,
-- lastSyncedAt, head, lastPushedCommit/lastPushedAt and two conditions: Ready (the branch is
-- synced) and Error (the last sync failed; its reason says how: InvalidSpec, PushConflict,
-- PushRejected, GitError).
--
-- Not synced yet, or a new spec not yet seen: Progressing. Error True: Degraded. Pull-request
-- mode (not available yet, so nothing is ever written): Degraded. Synced, but some edits could
-- not be applied (SyncedWithErrors): Degraded, pointing at the ImageWatch that says which.
-- Synced, or nothing to write: Healthy.

local spec = obj.spec or {}
local status = obj.status
local metadata = obj.metadata or {}

local function result(healthStatus, message)
  return { status = healthStatus, message = message }
end

local function findCondition(conditionType)
  for _, condition in ipairs(status.conditions or {}) do
    if condition.type == conditionType then
      return condition
    end
  end
  return nil
end

local function nonEmpty(text)
  return text ~= nil and text ~= ""
end

local function reasonAndMessage(condition, default)
  local message = tostring(condition.reason or default)
  if nonEmpty(condition.message) then
    message = message .. ": " .. tostring(condition.message)
  end
  return message
end

if status == nil then
  return result("Progressing", "Waiting for the controller to sync this GitTarget")
end

local observed = tonumber(status.observedGeneration)
local generation = metadata.generation
if type(generation) == "number" and observed == nil then
  return result("Progressing", "Waiting for spec update to be observed")
end
if type(generation) == "number" and observed ~= generation then
  return result("Progressing", "Waiting for spec update to be observed (generation "
    .. tostring(generation) .. ", controller has seen " .. tostring(observed) .. ")")
end

local failure = findCondition("Error")
if failure ~= nil and failure.status == "True" then
  return result("Degraded", reasonAndMessage(failure, "Error"))
end

local ready = findCondition("Ready")
if ready == nil then
  return result("Progressing", "Waiting for the first sync")
end

local reason = ready.reason
if reason == "PullRequestModeUnavailable" then
  return result("Degraded", reasonAndMessage(ready, "PullRequestModeUnavailable")
    .. "; set spec.mode to commit to push to the branch")
end
if ready.status == "True" and reason == "SyncedWithErrors" then
  return result("Degraded", reasonAndMessage(ready, "SyncedWithErrors"))
end
if ready.status == "True" and reason == "NothingToWrite" then
  return result("Healthy", "Nothing to write: no ImageWatch has a candidate for branch "
    .. tostring(spec.branch) .. " yet")
end
if ready.status == "True" then
  local message = "Synced"
  if nonEmpty(ready.message) then
    message = message .. ": " .. tostring(ready.message)
  end
  if nonEmpty(status.lastPushedAt) then
    message = message .. "; last push at " .. tostring(status.lastPushedAt)
  end
  return result("Healthy", message)
end
return result("Progressing", reasonAndMessage(ready, "NotReady"))
