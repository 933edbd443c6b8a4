-- Health of a slipway.dev PromotionPipeline as Argo CD shows it.
--
-- Runs in Argo CD's Lua sandbox: Lua 5.1 base functions and `table` only (no string, math or
-- JSON), with `obj` a copy of the live object. Every field may be missing.
--
-- The promotion controller (src/gitsync/promotion/) writes observedGeneration, one entry per
-- environment in status.environments (state, image the Rollouts run, desiredImage Slipway last
-- wrote to Git, an open pullRequest, and waiting: which gate holds a promotion out of it),
-- status.held (images not promoted again until a person releases them with the annotation
-- slipway.dev/release-hold) and the Ready and Error conditions.
--
-- No status yet: Progressing. Error True (invalid spec, a decision that could not be carried
-- out): Degraded, checked before the generation because the controller does not record
-- observedGeneration when it stops at an error. A new spec not yet seen: Progressing. An image
-- held, or an environment waiting for a person's approval: Suspended (a person has to act; the
-- message names the action). A promotion in flight (a pull request open, Git declaring an image
-- the Rollouts do not run yet, a Rollout rolling out): Progressing. Otherwise Healthy, naming
-- each environment's image.

local status = obj.status
local metadata = obj.metadata or {}
local annotations = metadata.annotations or {}

local function result(healthStatus, message)
  return { status = healthStatus, message = message }
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
  return result("Progressing", "Waiting for the controller to observe this PromotionPipeline")
end

for _, condition in ipairs(status.conditions or {}) do
  if condition.type == "Error" and condition.status == "True" then
    local message = tostring(condition.reason or "Error")
    if nonEmpty(condition.message) then
      message = message .. ": " .. tostring(condition.message)
    end
    return result("Degraded", message)
  end
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

local environments = status.environments or {}

-- Held images: nothing promotes them until a person releases them (the release-hold action
-- releases the first).
local held = status.held or {}
if #held > 0 then
  local parts = {}
  for _, h in ipairs(held) do
    local part = tostring(h.image) .. " held in " .. tostring(h.environment)
    if nonEmpty(h.reason) then
      part = part .. " (" .. tostring(h.reason) .. ")"
    end
    table.insert(parts, part)
  end
  local message = table.concat(parts, "; ")
  if #held == 1 then
    message = message .. ": release it with the release-hold action"
  else
    message = message .. ": release them with the release-hold action (it releases "
      .. tostring(held[1].image) .. " first)"
  end
  return result("Suspended", message)
end

-- The approval gate (src/gitsync/promotion/decide.ts) waits with "waiting for approval: annotate
-- slipway.dev/approve.<environment>=<image>", the image the environment runs. Once the annotation
-- is set the controller passes the gate on its next pass.
local approved = {}
for _, env in ipairs(environments) do
  if startsWith(env.waiting, "waiting for approval") and env.image ~= nil then
    if annotations["slipway.dev/approve." .. tostring(env.name)] == env.image then
      table.insert(approved, env)
    else
      return result("Suspended", tostring(env.name) .. " waits for approval to promote "
        .. tostring(env.image) .. ": approve it with the approve action")
    end
  end
end

-- Promotions in flight.
for _, env in ipairs(environments) do
  local pr = env.pullRequest
  if pr ~= nil then
    local what = "Pull request"
    if pr.kind == "promote" then
      what = "Promotion of " .. tostring(pr.image) .. " to " .. tostring(env.name)
    elseif pr.kind == "rollback" then
      what = "Rollback of " .. tostring(env.name) .. " to " .. tostring(pr.image)
    elseif pr.kind == "release-pause" then
      what = "Release of the pause of " .. tostring(pr.image) .. " in " .. tostring(env.name)
    end
    local message = what .. " waits for pull request"
    if pr.number ~= nil then
      message = message .. " #" .. tostring(pr.number)
    end
    if nonEmpty(pr.url) then
      message = message .. " (" .. tostring(pr.url) .. ")"
    end
    return result("Progressing", message .. " to be merged")
  end
end
for _, env in ipairs(environments) do
  if env.desiredImage ~= nil and env.desiredImage ~= env.image then
    local message = "Promoting " .. tostring(env.desiredImage) .. " to " .. tostring(env.name)
    if env.image ~= nil then
      message = message .. " (runs " .. tostring(env.image) .. ")"
    end
    return result("Progressing", message .. ": waiting for Argo CD to sync it")
  end
end
for _, env in ipairs(environments) do
  if env.state == "Progressing" then
    local message = tostring(env.name) .. " is rolling out"
    if env.image ~= nil then
      message = message .. " " .. tostring(env.image)
    end
    return result("Progressing", message)
  end
end
if #approved > 0 then
  return result("Progressing", tostring(approved[1].name) .. ": " .. tostring(approved[1].image)
    .. " approved, waiting for the controller to promote it")
end

-- Healthy: each environment's image, then anything else an environment waits for (a soak, an
-- analysis, a Rollout not found).
local parts = {}
local notes = {}
for _, env in ipairs(environments) do
  if env.image ~= nil then
    table.insert(parts, tostring(env.name) .. " " .. tostring(env.image))
  else
    table.insert(parts, tostring(env.name) .. " (no image seen)")
  end
  if nonEmpty(env.waiting) then
    table.insert(notes, tostring(env.name) .. ": " .. tostring(env.waiting))
  end
end
if #parts == 0 then
  return result("Healthy", "No environments observed yet")
end
local message = table.concat(parts, ", ")
if #notes > 0 then
  message = message .. "; " .. table.concat(notes, "; ")
end
return result("Healthy", message)
