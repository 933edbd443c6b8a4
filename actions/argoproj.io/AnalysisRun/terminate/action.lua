-- Terminate a running AnalysisRun: the controller stops it and records it as finished.
if obj.spec == nil then
  error("AnalysisRun " .. tostring((obj.metadata or {}).name) .. " has no spec", 0)
end
obj.spec.terminate = true
return obj
