-- Health of an argoproj.io AnalysisRun as Argo CD shows it.
--
-- Runs in Argo CD's Lua sandbox: Lua 5.1 base functions and `table` only (no string, math or
-- JSON), with `obj` a copy of the live object. Every field may be missing.
--
-- Pending and Running are Progressing, Successful is Healthy, Failed and Error are Degraded and
-- Inconclusive is Unknown (a person has to judge it). A finished run that did not succeed names
-- the metrics that made it so.

local status = obj.status

local function result(healthStatus, message)
  return { status = healthStatus, message = message }
end

local verbs = {
  Failed = "failed",
  Error = "errored",
  Inconclusive = "was inconclusive",
}

-- One metric that did not succeed, e.g.
-- metric "error-rate" failed (3 of 5 measurements failed, last value [0.12])
local function describeMetric(metric)
  local text = "metric \"" .. tostring(metric.name) .. "\" " .. verbs[metric.phase]
  local facts = {}
  if metric.phase == "Failed" and metric.failed ~= nil then
    table.insert(facts, tostring(metric.failed) .. " of " .. tostring(metric.count or 0) .. " measurements failed")
  end
  if metric.phase == "Inconclusive" and metric.inconclusive ~= nil then
    table.insert(facts, tostring(metric.inconclusive) .. " of " .. tostring(metric.count or 0)
      .. " measurements inconclusive")
  end
  if metric.phase == "Error" and metric.consecutiveError ~= nil then
    table.insert(facts, tostring(metric.consecutiveError) .. " consecutive errors")
  end
  local measurements = metric.measurements or {}
  local last = measurements[#measurements]
  if last ~= nil and last.value ~= nil and last.value ~= "" then
    table.insert(facts, "last value " .. tostring(last.value))
  end
  if metric.message ~= nil and metric.message ~= "" then
    table.insert(facts, tostring(metric.message))
  elseif last ~= nil and last.message ~= nil and last.message ~= "" then
    table.insert(facts, tostring(last.message))
  end
  if #facts > 0 then
    text = text .. " (" .. table.concat(facts, ", ") .. ")"
  end
  return text
end

local function finished(healthStatus, default)
  local message = status.message
  if message == nil or message == "" then
    message = default
  end
  local metrics = {}
  for _, metric in ipairs(status.metricResults or {}) do
    if verbs[metric.phase] ~= nil then
      table.insert(metrics, describeMetric(metric))
    end
  end
  if #metrics > 0 then
    message = message .. ": " .. table.concat(metrics, "; ")
  end
  return result(healthStatus, message)
end

if status == nil or status.phase == nil or status.phase == "" then
  return result("Progressing", "Waiting for analysis run to finish: status has not been reconciled.")
end

local phase = status.phase
if phase == "Pending" then
  return result("Progressing", "Analysis run is pending")
end
if phase == "Running" then
  local done = 0
  local metricResults = status.metricResults or {}
  for _, metric in ipairs(metricResults) do
    if metric.phase == "Successful" then
      done = done + 1
    end
  end
  local total = #((obj.spec or {}).metrics or {})
  if total > 0 then
    return result("Progressing", "Analysis run is running: " .. tostring(done) .. " of " .. tostring(total)
      .. " metrics successful so far")
  end
  return result("Progressing", "Analysis run is running")
end
if phase == "Successful" then
  local message = status.message
  if message == nil or message == "" then
    message = "Analysis run completed successfully"
  end
  return result("Healthy", message)
end
if phase == "Failed" then
  return finished("Degraded", "Analysis run failed")
end
if phase == "Error" then
  return finished("Degraded", "Analysis run had an error")
end
if phase == "Inconclusive" then
  return finished("Unknown", "Analysis run was inconclusive")
end
return result("Unknown", "Unrecognised analysis run phase " .. tostring(phase))
