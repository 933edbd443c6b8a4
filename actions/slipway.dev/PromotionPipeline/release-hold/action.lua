-- Release the first image in status.held: sets metadata.annotations["slipway.dev/release-hold"]
-- to it. The controller drops the hold, records a release decision and removes the annotation.
-- With several images held, run it once per image (first first).
local name = tostring((obj.metadata or {}).name)
local held = ((obj.status or {}).held or {})[1]
if held == nil or held.image == nil then
  error("PromotionPipeline " .. name .. " holds no image", 0)
end
if obj.metadata == nil then
  obj.metadata = {}
end
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["slipway.dev/release-hold"] = held.image
return obj
