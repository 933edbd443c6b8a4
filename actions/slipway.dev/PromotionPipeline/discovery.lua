-- Which actions Argo CD offers on a slipway.dev PromotionPipeline, and which of them are enabled.
--
-- Runs in Argo CD's Lua sandbox: Lua 5.1 base functions and `table` only (no string, math or
-- JSON), with `obj` a copy of the live object. Every field may be missing.
--
-- release-hold releases the first image in status.held by setting the annotation
-- slipway.dev/release-hold to it (the controller removes the annotation once honoured). Enabled
-- while something is held and that release is not already requested. Argo CD actions take no
-- parameters here, so with several images held it releases them one at a time, first first; the
-- display name says which.
--
-- approve approves the first environment whose approval gate waits (status.environments[].waiting
-- "waiting for approval: ...") for the image it runs, by setting slipway.dev/approve.<environment>
-- to that image. Enabled while such an environment is not approved yet; the display name names
-- the environment and image.

local metadata = obj.metadata or {}
local annotations = metadata.annotations or {}
local status = obj.status
local s = status or {}
local deleting = metadata.deletionTimestamp ~= nil

-- Whether text begins with prefix. Without the string library, a byte-wise comparison does it:
-- UTF-8 text never holds the byte 255.
local function startsWith(text, prefix)
  return type(text) == "string" and text >= prefix and text < prefix .. "\255"
end

local held = (s.held or {})[1]
local releaseName = "Release Hold"
if held ~= nil and held.image ~= nil then
  releaseName = "Release Hold on " .. tostring(held.image)
end

local waiting = nil
for _, env in ipairs(s.environments or {}) do
  if waiting == nil and startsWith(env.waiting, "waiting for approval") and env.image ~= nil
    and annotations["slipway.dev/approve." .. tostring(env.name)] ~= env.image then
    waiting = env
  end
end
local approveName = "Approve"
if waiting ~= nil then
  approveName = "Approve " .. tostring(waiting.image) .. " in " .. tostring(waiting.name)
end

local actions = {}
actions["release-hold"] = {
  disabled = held == nil or held.image == nil or annotations["slipway.dev/release-hold"] == held.image
    or deleting,
  displayName = releaseName,
}
actions["approve"] = {
  disabled = waiting == nil or deleting,
  displayName = approveName,
}
return actions
