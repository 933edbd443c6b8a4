-- Which actions Argo CD offers on a slipway.dev ImageWatch, and which of them are enabled.
--
-- Runs in Argo CD's Lua sandbox: Lua 5.1 base functions and `table` only (no string, math or
-- JSON), with `obj` a copy of the live object. Every field may be missing.
--
-- check-now asks the controller to poll the registry at once instead of at the next interval,
-- by stamping the annotation slipway.dev/check-requested-at with the current time. It is
-- enabled once the controller has reconciled the watch, while its spec is valid (an invalid
-- spec is never checked) and unless a request newer than status.lastCheckedAt is still waiting.
-- The schema has no suspend field, so there is no suspend or resume.

local metadata = obj.metadata or {}
local status = obj.status
local s = status or {}

local invalidSpec = false
for _, condition in ipairs(s.conditions or {}) do
  if condition.type == "Error" and condition.status == "True" and condition.reason == "InvalidSpec" then
    invalidSpec = true
  end
end

-- Both are RFC 3339 UTC times with whole seconds, so they compare as strings.
local requested = (metadata.annotations or {})["slipway.dev/check-requested-at"]
local waiting = type(requested) == "string"
  and (type(s.lastCheckedAt) ~= "string" or requested > s.lastCheckedAt)

local actions = {}
actions["check-now"] = {
  disabled = status == nil or invalidSpec or waiting or metadata.deletionTimestamp ~= nil,
  displayName = "Check Registry Now",
}
return actions
