-- Which actions Argo CD offers on a slipway.dev GitTarget, and which of them are enabled.
--
-- Runs in Argo CD's Lua sandbox: Lua 5.1 base functions and `table` only (no string, math or
-- JSON), with `obj` a copy of the live object. Every field may be missing.
--
-- sync-now asks the controller to sync the repository at once (write what every ImageWatch owes
-- it, push, report) instead of at the next resync, by stamping the annotation
-- slipway.dev/sync-requested-at with the current time. It is enabled once the controller has
-- synced the GitTarget, while its spec is valid, in commit mode (pull-request mode writes
-- nothing yet) and unless a request newer than status.lastSyncedAt is still waiting.

local spec = obj.spec or {}
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
local requested = (metadata.annotations or {})["slipway.dev/sync-requested-at"]
local waiting = type(requested) == "string"
  and (type(s.lastSyncedAt) ~= "string" or requested > s.lastSyncedAt)

local actions = {}
actions["sync-now"] = {
  disabled = status == nil or invalidSpec or spec.mode == "pull-request" or waiting
    or metadata.deletionTimestamp ~= nil,
  displayName = "Sync Repository Now",
}
return actions
