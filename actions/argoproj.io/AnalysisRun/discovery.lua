-- Which actions Argo CD offers on an argoproj.io AnalysisRun, and which of them are enabled.
--
-- Runs in Argo CD's Lua sandbox: Lua 5.1 base functions and `table` only (no string, math or
-- JSON), with `obj` a copy of the live object. Every field may be missing.

local phase = (obj.status or {}).phase
local running = phase == nil or phase == "" or phase == "Pending" or phase == "Running"
local actions = {}
actions["terminate"] = { disabled = not running or (obj.spec or {}).terminate == true }
return actions
