-- Approve the first environment whose approval gate waits: sets
-- metadata.annotations["slipway.dev/approve.<environment>"] to the image it runs, which the
-- controller then promotes to the next environment (if the other gates are open).
local name = tostring((obj.metadata or {}).name)
local annotations = (obj.metadata or {}).annotations or {}

-- Whether text begins with prefix. Without the string library, a byte-wise comparison does it:
-- UTF-8 text never holds the byte 255.
local function startsWith(text, prefix)
  return type(text) == "string" and text >= prefix and text < prefix .. "\255"
end

local waiting = nil
for _, env in ipairs((obj.status or {}).environments or {}) do
  if waiting == nil and startsWith(env.waiting, "waiting for approval") and env.image ~= nil
    and annotations["slipway.dev/approve." .. tostring(env.name)] ~= env.image then
    waiting = env
  end
end
if waiting == nil then
  error("PromotionPipeline " .. name .. " has no environment waiting for approval", 0)
end
if obj.metadata == nil then
  obj.metadata = {}
end
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["slipway.dev/approve." .. tostring(waiting.name)] = waiting.image
return obj
