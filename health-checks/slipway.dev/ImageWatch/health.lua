-- Health of a slipway.dev ImageWatch as Argo CD shows it.
--
-- Runs in Argo CD's Lua sandbox: Lua 5.1 base functions and `table` only (no string, math or
-- JSON), with `obj` a copy of the live object. Every field may be missing.
--
-- The controller (src/gitsync/imagewatch/reconciler.ts) writes observedGeneration, latest (the
-- candidate its policy picked) and two conditions: Ready (the candidate is in every target file)
-- and Error (the last attempt failed; its reason says what failed). The repository sync
-- (src/gitsync/gittarget/reconciler.ts) writes status.writes: per target file, whether the
-- candidate is Applied, Pending or Failed.
--
-- Not reconciled yet, or a new spec not yet seen: Progressing. Error True, a failed write of the
-- candidate, or a GitTarget in pull-request mode (not available yet, so nothing is ever
-- written): Degraded. Ready True: Healthy. No tag matching the policy is not an error for the
-- controller, and nothing is owed to Git: Healthy, saying so. The candidate held by a
-- PromotionPipeline (reason CandidateHeld): Healthy, with the hold and how to release it. Anything
-- else (first check, writes under way): Progressing.

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

local function count(n, word)
  if n == 1 then
    return "1 " .. word
  end
  return tostring(n) .. " " .. word .. "s"
end

local function nonEmpty(text)
  return text ~= nil and text ~= ""
end

-- Whether text begins with prefix. Without the string library, a byte-wise comparison does it:
-- UTF-8 text never holds the byte 255.
local function startsWith(text, prefix)
  return type(text) == "string" and text >= prefix and text < prefix .. "\255"
end

if status == nil then
  return result("Progressing", "Waiting for the controller to observe this ImageWatch")
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

local targets = spec.targets or {}
local image = (status.latest or {}).image

-- The write of the current candidate to each target of the spec (nil when none is reported),
-- matched as the controller does: same GitTarget, same path, same image.
local function currentWrite(target)
  for _, write in ipairs(status.writes or {}) do
    if write.gitTarget == target.gitTarget and write.path == target.path and write.image == image then
      return write
    end
  end
  return nil
end

local failure = findCondition("Error")
if failure ~= nil and failure.status == "True" then
  local reason = failure.reason or "Error"
  local message = tostring(reason)
  if nonEmpty(failure.message) then
    message = message .. ": " .. tostring(failure.message)
  end
  if reason == "WriteFailed" and image ~= nil then
    message = tostring(reason) .. ": " .. tostring(image) .. " was not written: " .. tostring(failure.message or "")
  elseif image ~= nil then
    message = message .. " (last candidate " .. tostring(image) .. ")"
  end
  return result("Degraded", message)
end

local applied = 0
local pendingMessage = nil
if image ~= nil then
  for _, target in ipairs(targets) do
    local write = currentWrite(target)
    local state = (write or {}).state
    if state == "Failed" then
      -- The repository sync reported it; the Error condition follows on the next reconcile.
      return result("Degraded", "WriteFailed: " .. tostring(image) .. " was not written: "
        .. tostring(write.message or (tostring(target.path) .. " in GitTarget " .. tostring(target.gitTarget))))
    end
    if state == "Applied" then
      applied = applied + 1
    elseif write ~= nil and startsWith(write.message, "GitTarget " .. tostring(target.gitTarget)
      .. ": pull-request mode is not available yet") then
      -- The message the repository sync writes for a GitTarget with mode pull-request
      -- (PULL_REQUEST_UNAVAILABLE in src/gitsync/gittarget/reconciler.ts): nothing will ever be
      -- written until the GitTarget's spec changes, so waiting would never end.
      return result("Degraded", "PullRequestModeUnavailable: " .. tostring(write.message)
        .. "; set mode: commit on GitTarget " .. tostring(target.gitTarget) .. " to push to the branch")
    elseif write ~= nil and pendingMessage == nil and nonEmpty(write.message) then
      pendingMessage = write.message
    end
  end
end

local ready = findCondition("Ready")
if ready == nil then
  return result("Progressing", "Waiting for the first registry check")
end

if ready.status == "True" then
  if ready.reason == "ManualChangeKept" then
    -- A person changed a managed line in Git; spec.manualChanges respect keeps it.
    return result("Healthy", "Manual change kept: " .. tostring(ready.message or ""))
  end
  if image == nil then
    return result("Healthy", "Up to date: " .. tostring(ready.message or ""))
  end
  return result("Healthy", "Up to date: " .. tostring(image) .. " written to " .. count(#targets, "target"))
end

local reason = ready.reason
if reason == "Suspended" then
  -- spec.suspend: a person pinned what Git holds; nothing is checked or written until resumed.
  local message = "Suspended: no registry checks, nothing written"
  if image ~= nil then
    message = message .. " (last candidate " .. tostring(image) .. ")"
  end
  return result("Suspended", message)
end
if reason == "CandidateHeld" then
  -- Every tag the policy would take is held by a PromotionPipeline after it failed somewhere:
  -- a deliberate state, like a promotion stage holding freight, that lasts until a person
  -- releases the hold (the PromotionPipeline's release-hold action, where the hold is reported
  -- Suspended) or a newer tag is pushed. The watch keeps checking and Git keeps what it holds,
  -- so nothing here is in progress or broken.
  local message = "Candidate held, nothing written"
  if nonEmpty(ready.message) then
    message = "Candidate held: " .. tostring(ready.message)
  end
  return result("Healthy", message)
end
if reason == "NoCandidate" then
  local message = "No candidate: no tag matches the policy yet, nothing to write"
  if nonEmpty(ready.message) then
    message = "No candidate: " .. tostring(ready.message) .. "; nothing to write"
  end
  if image ~= nil then
    message = message .. " (last candidate " .. tostring(image) .. ")"
  end
  return result("Healthy", message)
end
if reason == "Checking" then
  return result("Progressing", "Waiting for the first registry check")
end
if reason == "WritePending" and image ~= nil then
  local message = "Writing " .. tostring(image) .. " to Git: " .. tostring(applied) .. " of "
    .. count(#targets, "target") .. " done"
  if pendingMessage ~= nil then
    message = message .. "; " .. tostring(pendingMessage)
  end
  return result("Progressing", message)
end
local message = tostring(reason or "NotReady")
if nonEmpty(ready.message) then
  message = message .. ": " .. tostring(ready.message)
end
return result("Progressing", message)
