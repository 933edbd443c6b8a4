-- Health of an argoproj.io Experiment as Argo CD shows it.
--
-- Runs in Argo CD's Lua sandbox: Lua 5.1 base functions and `table` only (no string, math or
-- JSON), with `obj` a copy of the live object. Every field may be missing.
--
-- Pending and Running are Progressing, Successful is Healthy; Failed, Error and Inconclusive
-- are Degraded (an experiment is over once it has a result, so nothing is left Unknown), with
-- the analyses and templates that did not succeed named in the message.

local status = obj.status

local function result(healthStatus, message)
  return { status = healthStatus, message = message }
end

local bad = {
  Failed = "failed",
  Error = "errored",
  Inconclusive = "was inconclusive",
}

local function finished(default)
  local message = status.message
  if message == nil or message == "" then
    message = default
  end
  local parts = {}
  for _, run in ipairs(status.analysisRuns or {}) do
    if bad[run.phase] ~= nil then
      local text = "analysis \"" .. tostring(run.name) .. "\" " .. bad[run.phase]
      if run.message ~= nil and run.message ~= "" then
        text = text .. " (" .. tostring(run.message) .. ")"
      end
      table.insert(parts, text)
    end
  end
  for _, template in ipairs(status.templateStatuses or {}) do
    if template.status == "Failed" or template.status == "Error" then
      local text = "template \"" .. tostring(template.name) .. "\" " .. bad[template.status]
      if template.message ~= nil and template.message ~= "" then
        text = text .. " (" .. tostring(template.message) .. ")"
      end
      table.insert(parts, text)
    end
  end
  if #parts > 0 then
    message = message .. ": " .. table.concat(parts, "; ")
  end
  return result("Degraded", message)
end

if status == nil or status.phase == nil or status.phase == "" then
  return result("Progressing", "Waiting for experiment to finish: status has not been reconciled.")
end

local phase = status.phase
if phase == "Pending" then
  return result("Progressing", "Experiment is pending")
end
if phase == "Running" then
  return result("Progressing", "Experiment is running")
end
if phase == "Successful" then
  local message = status.message
  if message == nil or message == "" then
    message = "Experiment is successful"
  end
  return result("Healthy", message)
end
if phase == "Failed" then
  return finished("Experiment has failed")
end
if phase == "Error" then
  return finished("Experiment had an error")
end
if phase == "Inconclusive" then
  return finished("Experiment was inconclusive")
end
return result("Unknown", "Unrecognised experiment phase " .. tostring(phase))
