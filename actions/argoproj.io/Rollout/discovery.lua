-- Which actions Argo CD offers on an argoproj.io Rollout, and which of them are enabled.
--
-- Runs in Argo CD's Lua sandbox: Lua 5.1 base functions and `table` only (no string, math or
-- JSON), with `obj` a copy of the live object. Every field may be missing.

local spec = obj.spec or {}
local status = obj.status
local reconciled = status ~= nil
local s = status or {}
local canary = (spec.strategy or {}).canary or {}
local steps = canary.steps or {}

local paused = spec.paused == true or #(s.pauseConditions or {}) > 0
local aborted = s.abort == true
-- An update is under way while the controller's current pod template is not the stable one.
local updating = reconciled and s.currentPodHash ~= nil and s.currentPodHash ~= s.stableRS
local stepIndex = s.currentStepIndex
local stepsLeft = type(stepIndex) == "number" and stepIndex < #steps

local actions = {}
actions["restart"] = { disabled = not reconciled, displayName = "Restart Pods" }
actions["resume"] = { disabled = not paused }
actions["pause"] = { disabled = not updating or aborted or spec.paused == true }
actions["abort"] = { disabled = not updating or aborted }
actions["retry"] = { disabled = not aborted }
actions["promote-full"] = { disabled = not updating or s.promoteFull == true }
actions["skip-current-step"] = { disabled = not updating or aborted or not stepsLeft }
return actions
