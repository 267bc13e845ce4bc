-- Argo CD health check for ecs.fargate.dev TaskDefinition, FargateService,
-- FargateTask (a FargateTask is Healthy once its run succeeded: Ready=True; so it
-- works as a PreSync hook; a scheduled one once its schedule is in place, and
-- Suspended while spec.suspend disables it) and FargateTenant (Healthy while it
-- is in force).
--
-- fargate-operator writes status.observedGeneration and status.conditions
-- (types Ready, Progressing, Degraded, Synced). Precedence: no status yet,
-- stale generation, Degraded, Ready, Progressing, then Ready=False.
--
-- Argo CD runs argocd-cm health scripts in gopher-lua (Lua 5.1) with only the
-- base, table, package and a safe os library loaded: no string or math here.

local hs = {
  status = "Progressing",
  message = "Waiting for fargate-operator to report status",
}

-- t[key], or nil when t is not a table.
local function get(t, key)
  if type(t) == "table" then
    return t[key]
  end
  return nil
end

-- v as a string; "" when missing or not a scalar.
local function str(v)
  local kind = type(v)
  if kind == "string" then
    return v
  end
  if kind == "number" or kind == "boolean" then
    return tostring(v)
  end
  return ""
end

-- "<reason>: <message>", leaving out whichever part is empty.
local function describe(cond)
  local reason, message = str(get(cond, "reason")), str(get(cond, "message"))
  if reason == "" then
    return message
  end
  if message == "" then
    return reason
  end
  return reason .. ": " .. message
end

local status = get(obj, "status")
local conditions = get(status, "conditions")
if type(conditions) ~= "table" then
  return hs
end

-- Index conditions by type; the first one of each type wins.
local byType = {}
local found = false
for _, cond in ipairs(conditions) do
  local condType = get(cond, "type")
  if type(condType) == "string" and byType[condType] == nil then
    byType[condType] = cond
    found = true
  end
end
if not found then
  return hs
end

-- Conditions describe an older spec until the operator catches up.
local generation = tonumber(get(get(obj, "metadata"), "generation"))
local observed = tonumber(get(status, "observedGeneration"))
if generation ~= nil and observed ~= nil and observed < generation then
  hs.message = "Waiting for fargate-operator to observe generation " .. tostring(generation)
  return hs
end

local function isTrue(condType)
  return get(byType[condType], "status") == "True"
end

if isTrue("Degraded") then
  hs.status = "Degraded"
  hs.message = describe(byType["Degraded"])
elseif isTrue("Ready") then
  hs.status = "Healthy"
  hs.message = str(get(byType["Ready"], "message"))
  -- A scheduled FargateTask whose schedule is disabled (spec.suspend).
  if get(get(status, "schedule"), "state") == "DISABLED" then
    hs.status = "Suspended"
  end
elseif isTrue("Progressing") then
  hs.message = describe(byType["Progressing"])
elseif byType["Ready"] ~= nil then
  -- Ready=False without Progressing/Degraded, e.g. TasksNotRunning while ECS
  -- replaces stopped tasks: expected to recover, so keep Progressing.
  hs.message = describe(byType["Ready"])
end

return hs
