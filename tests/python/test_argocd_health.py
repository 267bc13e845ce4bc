"""Tests for the Argo CD health check in deploy/argocd/.

health.lua is run with lupa (https://pypi.org/project/lupa/) the way Argo CD
runs scripts from argocd-cm: the object is the global `obj` and the chunk
returns the health table. Argo CD uses gopher-lua (Lua 5.1) and loads only the
base, table, package and a safe os library for such scripts, so each run here
removes the string and math libraries (and string methods) first. The cases
run on Lua 5.1 and, when lupa ships it, Lua 5.4.

Run: python -m unittest discover -s tests/python
"""

import copy
import importlib
import os
import re
import unittest

import yaml  # pinned in scripts/requirements.txt

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ARGOCD_DIR = os.path.join(REPO_ROOT, "deploy", "argocd")
HEALTH_LUA = os.path.join(ARGOCD_DIR, "health.lua")
ARGOCD_CM = os.path.join(ARGOCD_DIR, "argocd-cm.yaml")
APPLICATION = os.path.join(ARGOCD_DIR, "application.yaml")

HEALTH_KEYS = (
    "resource.customizations.health.ecs.fargate.dev_TaskDefinition",
    "resource.customizations.health.ecs.fargate.dev_FargateService",
    "resource.customizations.health.ecs.fargate.dev_FargateTask",
    "resource.customizations.health.ecs.fargate.dev_FargateTenant",
)
ALLOWED_STATUSES = {"Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"}
WAITING = "Waiting for fargate-operator to report status"

# What Argo CD does not give argocd-cm scripts; `python` is lupa's own bridge.
SANDBOX = """
debug.setmetatable("", nil)
string, math, io, debug, utf8, python = nil, nil, nil, nil, nil, nil
"""


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def lupa_runtime(module_name):
    """The lupa module for one Lua version (lupa is pinned in scripts/requirements.txt; a
    missing runtime is an error, not a skip)."""
    return importlib.import_module(module_name)


def to_lua(lua, value):
    """Python data as Lua values: dicts become tables, lists 1-based sequences."""
    if isinstance(value, dict):
        table = lua.table()
        for key, item in value.items():
            table[key] = to_lua(lua, item)  # None becomes nil: the key is absent
        return table
    if isinstance(value, (list, tuple)):
        table = lua.table()
        for index, item in enumerate(value, start=1):
            table[index] = to_lua(lua, item)
        return table
    return value


def condition(type_, status, reason=None, message=None, generation=7):
    cond = {
        "type": type_,
        "status": status,
        "observedGeneration": generation,
        "lastTransitionTime": "2025-03-01T10:00:00Z",
    }
    if reason is not None:
        cond["reason"] = reason
    if message is not None:
        cond["message"] = message
    return cond


def with_conditions(*conditions, generation=7, observed=7):
    obj = {
        "apiVersion": "ecs.fargate.dev/v1alpha1",
        "kind": "FargateService",
        "metadata": {"name": "web", "namespace": "shop", "generation": generation},
        "status": {"conditions": list(conditions)},
    }
    if observed is not None:
        obj["status"]["observedGeneration"] = observed
    return obj


ACCOUNT = "123456789012"
TD_ARN = f"arn:aws:ecs:eu-west-1:{ACCOUNT}:task-definition/shop-web:12"

TASK_DEFINITION = {
    "apiVersion": "ecs.fargate.dev/v1alpha1",
    "kind": "TaskDefinition",
    "metadata": {"name": "web", "namespace": "shop", "generation": 3, "uid": "0b9c1a52"},
    "spec": {
        "cpu": "512",
        "memory": "1024",
        "containers": [
            {
                "name": "web",
                "image": f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/web:1.4.2",
                "portMappings": [{"containerPort": 8080}],
            }
        ],
    },
    "status": {
        "observedGeneration": 3,
        "family": "shop-web",
        "revision": 12,
        "arn": TD_ARN,
        "specHash": "9f2c4e",
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/shop-web-execution",
        "logGroup": "/ecs/shop/web",
        "retainedRevisions": [TD_ARN[:-2] + "11", TD_ARN[:-2] + "10"],
        "conditions": [
            condition("Ready", "True", "Registered", "Revision shop-web:12 is registered", 3),
            condition("Progressing", "False", "AsExpected", None, 3),
            condition("Degraded", "False", "AsExpected", None, 3),
            condition("Synced", "True", "InSync", "AWS matches the spec", 3),
        ],
    },
}

FARGATE_SERVICE = {
    "apiVersion": "ecs.fargate.dev/v1alpha1",
    "kind": "FargateService",
    "metadata": {"name": "web", "namespace": "shop", "generation": 7, "uid": "5d1e77c0"},
    "spec": {
        "cluster": {"name": "shop"},
        "taskDefinitionRef": {"name": "web"},
        "desiredCount": 3,
        "network": {"subnets": ["subnet-0a1b2c3d"], "securityGroups": ["sg-0f00ba47"]},
    },
    "status": {
        "observedGeneration": 7,
        "serviceArn": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:service/shop/web",
        "clusterArn": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/shop",
        "taskDefinitionArn": TD_ARN,
        "taskDefinitionRevision": "shop-web:12",
        "desiredCount": 3,
        "runningCount": 3,
        "pendingCount": 0,
        "rolloutState": "COMPLETED",
        "deployments": [
            {
                "id": "ecs-svc/1234567890123456789",
                "status": "PRIMARY",
                "taskDefinitionArn": TD_ARN,
                "desiredCount": 3,
                "runningCount": 3,
                "pendingCount": 0,
                "failedTasks": 0,
                "rolloutState": "COMPLETED",
                "createdAt": "2025-03-01T09:55:00Z",
            }
        ],
        "conditions": [
            condition("Ready", "True", "DeploymentCompleted", "3 of 3 tasks running shop-web:12"),
            condition("Progressing", "False", "AsExpected"),
            condition("Degraded", "False", "AsExpected"),
            condition("Synced", "True", "InSync", "AWS matches the spec"),
        ],
    },
}


class HealthLuaCases:
    """The cases; subclasses name the lupa module (Lua version) to run them on."""

    lupa_module = None

    @classmethod
    def setUpClass(cls):
        cls.script = read(HEALTH_LUA)

    def new_runtime(self):
        lua = self.lupa_module.LuaRuntime()
        lua.execute(SANDBOX)
        return lua

    def run_health(self, obj):
        """Runs health.lua on obj and returns (status, message), checking their shape."""
        lua = self.new_runtime()
        lua.globals().obj = to_lua(lua, obj)
        hs = lua.execute(self.script)
        self.assertEqual(self.lupa_module.lua_type(hs), "table", "health.lua must return a table")
        self.assertLessEqual(set(hs.keys()), {"status", "message"})
        self.assertIn(hs.status, ALLOWED_STATUSES)
        self.assertIsInstance(hs.message, str)
        return hs.status, hs.message

    def test_sandbox_matches_argocd(self):
        lua = self.new_runtime()
        self.assertIsNone(lua.globals().string)
        self.assertIsNone(lua.globals().math)
        ok, _ = lua.execute('return pcall(function() return ("x"):len() end)')
        self.assertFalse(ok, "string methods must be unavailable, as in Argo CD")

    def test_no_status_waits_for_operator(self):
        obj = copy.deepcopy(FARGATE_SERVICE)
        del obj["status"]
        self.assertEqual(self.run_health(obj), ("Progressing", WAITING))

    def test_status_without_conditions_waits_for_operator(self):
        for status in ({"observedGeneration": 7}, {"observedGeneration": 7, "conditions": []}):
            with self.subTest(status=status):
                obj = copy.deepcopy(FARGATE_SERVICE)
                obj["status"] = status
                self.assertEqual(self.run_health(obj), ("Progressing", WAITING))

    def test_stale_observed_generation_is_progressing(self):
        # Ready=True describes generation 7; the spec is at 8 now.
        obj = copy.deepcopy(FARGATE_SERVICE)
        obj["metadata"]["generation"] = 8
        self.assertEqual(
            self.run_health(obj),
            ("Progressing", "Waiting for fargate-operator to observe generation 8"),
        )

    def test_missing_observed_generation_lets_conditions_decide(self):
        obj = with_conditions(condition("Ready", "True", "Registered", "ok"), observed=None)
        self.assertEqual(self.run_health(obj), ("Healthy", "ok"))

    def test_degraded_wins_over_ready(self):
        obj = with_conditions(
            condition("Ready", "True", "DeploymentCompleted", "3 of 3 tasks running"),
            condition("Progressing", "True", "Deploying", "rolling out shop-web:13"),
            condition(
                "Degraded", "True", "DeploymentFailed",
                "circuit breaker: tasks failed to start",
            ),
        )
        self.assertEqual(
            self.run_health(obj),
            ("Degraded", "DeploymentFailed: circuit breaker: tasks failed to start"),
        )

    def test_ready_is_healthy_with_its_message(self):
        obj = with_conditions(
            condition("Ready", "True", "DeploymentCompleted", "3 of 3 tasks running"),
            condition("Progressing", "False", "AsExpected"),
            condition("Degraded", "False", "AsExpected"),
        )
        self.assertEqual(self.run_health(obj), ("Healthy", "3 of 3 tasks running"))

    def test_progressing_deploying(self):
        obj = with_conditions(
            condition("Ready", "False", "Deploying", "1 of 3 tasks running"),
            condition("Progressing", "True", "Deploying", "ECS deployment ecs-svc/42 in progress"),
            condition("Degraded", "False", "AsExpected"),
        )
        self.assertEqual(
            self.run_health(obj),
            ("Progressing", "Deploying: ECS deployment ecs-svc/42 in progress"),
        )

    def test_a_progressive_rollout_is_progressing_with_its_stage(self):
        # The messages the operator writes mid-rollout (engine::report::rollout_readiness).
        stage = ("CANARY of revision shop-web-api:2: IN_PROGRESS at stage BAKE_TIME, "
                 "100% of production traffic on the new revision, bake ends at 2026-11-21T10:30:00Z")
        obj = with_conditions(
            condition("Ready", "False", "Deploying", stage),
            condition("Progressing", "True", "Deploying", stage),
            condition("Degraded", "False", "AsExpected"),
        )
        obj["status"]["rollout"] = {"strategy": "CANARY", "status": "IN_PROGRESS", "stage": "BAKE_TIME"}
        self.assertEqual(self.run_health(obj), ("Progressing", "Deploying: " + stage))
        rolled_back = "ECS rolled the CANARY deployment back (ROLLBACK_SUCCESSFUL): alarm web-5xx"
        obj = with_conditions(
            condition("Ready", "False", "RolledBack", rolled_back),
            condition("Progressing", "False", "RolledBack", rolled_back),
            condition("Degraded", "True", "RolledBack", rolled_back),
        )
        self.assertEqual(self.run_health(obj), ("Degraded", "RolledBack: " + rolled_back))

    def test_a_service_held_by_its_pre_deploy(self):
        # The conditions the operator writes while spec.deployment.preDeploy holds a new
        # revision (engine::report::held_back; tests/predeploy.rs): waiting for the task
        # is Progressing, a failed task Degraded (the running revision keeps serving).
        running = ("the preDeploy task (./manage migrate) runs before the service moves to "
                   "revision shop_web-api:2: attempt 1 of at most 1 runs")
        obj = with_conditions(
            condition("Ready", "False", "PreDeployRunning", running),
            condition("Progressing", "True", "PreDeployRunning", running),
            condition("Degraded", "False", "AsExpected"),
            condition("Synced", "True", "InSync", "AWS matches the spec"),
        )
        obj["status"]["preDeploy"] = {"targetTaskDefinitionArn": TD_ARN, "generation": 2,
                                      "phase": "Running", "attemptCount": 1}
        self.assertEqual(self.run_health(obj), ("Progressing", "PreDeployRunning: " + running))
        failed = ("the preDeploy task of revision shop_web-api:2 failed: attempt 1 of 1 failed: "
                  "task 0a1b: container api exited with code 3 (task stopped: Essential "
                  "container in task exited); the service keeps shop_web-api:1. A new "
                  "generation of this FargateService (any spec change) or a new revision runs "
                  "it again")
        obj = with_conditions(
            condition("Ready", "False", "PreDeployFailed", failed),
            condition("Progressing", "False", "PreDeployFailed", failed),
            condition("Degraded", "True", "PreDeployFailed", failed),
            condition("Synced", "True", "InSync", "AWS matches the spec"),
        )
        obj["status"]["preDeploy"] = {"targetTaskDefinitionArn": TD_ARN, "generation": 2,
                                      "phase": "Failed", "attemptCount": 1}
        self.assertEqual(self.run_health(obj), ("Degraded", "PreDeployFailed: " + failed))

    def test_ready_false_alone_is_progressing(self):
        obj = with_conditions(
            condition("Ready", "False", "TasksNotRunning", "2 of 3 tasks running"),
            condition("Progressing", "False", "AsExpected"),
            condition("Degraded", "False", "AsExpected"),
            condition("Synced", "True", "InSync", "AWS matches the spec"),
        )
        self.assertEqual(
            self.run_health(obj), ("Progressing", "TasksNotRunning: 2 of 3 tasks running")
        )

    def test_fargate_service_sample(self):
        self.assertEqual(
            self.run_health(FARGATE_SERVICE), ("Healthy", "3 of 3 tasks running shop-web:12")
        )
        rolling = copy.deepcopy(FARGATE_SERVICE)
        status = rolling["status"]
        status.update(runningCount=2, pendingCount=1, rolloutState="IN_PROGRESS")
        status["deployments"].insert(0, dict(
            status["deployments"][0], id="ecs-svc/99", taskDefinitionArn=TD_ARN[:-2] + "13",
            runningCount=1, pendingCount=1, rolloutState="IN_PROGRESS",
        ))
        status["deployments"][1]["status"] = "ACTIVE"
        status["conditions"][0:2] = [
            condition("Ready", "False", "Deploying", "2 of 3 tasks running"),
            condition("Progressing", "True", "Deploying", "rolling out shop-web:13"),
        ]
        self.assertEqual(
            self.run_health(rolling), ("Progressing", "Deploying: rolling out shop-web:13")
        )

    def test_task_definition_sample(self):
        self.assertEqual(
            self.run_health(TASK_DEFINITION), ("Healthy", "Revision shop-web:12 is registered")
        )
        invalid = copy.deepcopy(TASK_DEFINITION)
        invalid["status"]["conditions"][2] = condition(
            "Degraded", "True", "InvalidSpec", "spec.memory 100 is not valid for cpu 512", 3
        )
        self.assertEqual(
            self.run_health(invalid),
            ("Degraded", "InvalidSpec: spec.memory 100 is not valid for cpu 512"),
        )

    def test_fargate_tenant(self):
        """A FargateTenant: Healthy while in force, Degraded (with why) when not."""
        def tenant(*conditions):
            obj = with_conditions(*conditions)
            obj["kind"] = "FargateTenant"
            return obj

        in_force = tenant(
            condition("Ready", "True", "InForce", "governs 2 namespace(s)"),
            condition("Degraded", "False", "AsExpected"),
        )
        self.assertEqual(self.run_health(in_force), ("Healthy", "governs 2 namespace(s)"))
        overlap = "namespaces claimed by another tenant too: shop (also FargateTenant b)"
        broken = tenant(
            condition("Ready", "False", "Overlap", overlap),
            condition("Degraded", "True", "Overlap", overlap),
        )
        self.assertEqual(self.run_health(broken), ("Degraded", f"Overlap: {overlap}"))

    def test_fargate_task_phases(self):
        """A FargateTask (as the operator reports it): Healthy once its run succeeded (so it
        can be a PreSync hook), Progressing while it is started or runs, Degraded when it
        failed."""
        def task(phase, *conditions):
            obj = with_conditions(*conditions)
            obj["kind"] = "FargateTask"
            obj["status"]["phase"] = phase
            return obj

        synced = condition("Synced", "True", "InSync", "AWS matches the spec")
        ok = condition("Degraded", "False", "AsExpected")
        cases = [
            (task("Pending",
                  condition("Ready", "False", "TaskStarting", "attempt 1 is being started or provisioned"),
                  condition("Progressing", "True", "TaskStarting", "attempt 1 is being started or provisioned"),
                  ok, synced),
             ("Progressing", "TaskStarting: attempt 1 is being started or provisioned")),
            (task("Running",
                  condition("Ready", "False", "TaskRunning", "attempt 2 runs"),
                  condition("Progressing", "True", "TaskRunning", "attempt 2 runs"),
                  ok, synced),
             ("Progressing", "TaskRunning: attempt 2 runs")),
            (task("Succeeded",
                  condition("Ready", "True", "RunSucceeded", "the run succeeded (attempt 1)"),
                  condition("Progressing", "False", "RunSucceeded", "the run succeeded (attempt 1)"),
                  ok, synced),
             ("Healthy", "the run succeeded (attempt 1)")),
            (task("Failed",
                  condition("Ready", "False", "RunFailed", "attempt 1 of 1 failed: exited with code 3"),
                  condition("Progressing", "False", "RunFailed", "attempt 1 of 1 failed: exited with code 3"),
                  condition("Degraded", "True", "RunFailed", "attempt 1 of 1 failed: exited with code 3"),
                  synced),
             ("Degraded", "RunFailed: attempt 1 of 1 failed: exited with code 3")),
        ]
        for obj, want in cases:
            with self.subTest(phase=obj["status"]["phase"]):
                self.assertEqual(self.run_health(obj), want)

    def test_scheduled_fargate_task(self):
        """A scheduled FargateTask: Healthy once its schedule is in place, Suspended while
        spec.suspend disables it, Degraded when its latest run failed (whatever the state),
        Progressing while the schedule is being created or changed."""
        def scheduled(state, *conditions):
            obj = with_conditions(*conditions)
            obj["kind"] = "FargateTask"
            obj["status"]["schedule"] = {"name": "fgo_shop_nightly", "state": state}
            return obj

        synced = condition("Synced", "True", "InSync", "AWS matches the spec")
        ok = condition("Degraded", "False", "AsExpected")
        failed = "the latest run (task 0123) failed: task 0123: container api exited with code 3"
        cases = [
            (scheduled("ENABLED",
                       condition("Ready", "True", "Scheduled", "the schedule is in place"),
                       condition("Progressing", "False", "Scheduled", "the schedule is in place"), ok, synced),
             ("Healthy", "the schedule is in place")),
            (scheduled("DISABLED",
                       condition("Ready", "True", "Suspended", "the schedule is in place and suspended"),
                       condition("Progressing", "False", "Suspended", "the schedule is in place and suspended"),
                       ok, synced),
             ("Suspended", "the schedule is in place and suspended")),
            (scheduled("ENABLED",
                       condition("Ready", "True", "Scheduled", "the schedule is in place"),
                       condition("Progressing", "False", "Scheduled", "the schedule is in place"),
                       condition("Degraded", "True", "RunFailed", failed), synced),
             ("Degraded", f"RunFailed: {failed}")),
            (scheduled(None,
                       condition("Ready", "False", "Applying", "the schedule is being created or changed"),
                       condition("Progressing", "True", "Applying", "the schedule is being created or changed"),
                       ok),
             ("Progressing", "Applying: the schedule is being created or changed")),
        ]
        for obj, want in cases:
            with self.subTest(state=obj["status"]["schedule"]["state"], want=want[0]):
                self.assertEqual(self.run_health(obj), want)

    def test_missing_reason_or_message(self):
        cases = [
            (condition("Ready", "True", "Registered"), ("Healthy", "")),
            (condition("Degraded", "True", "AwsRejected"), ("Degraded", "AwsRejected")),
            (condition("Degraded", "True", None, "no reason given"), ("Degraded", "no reason given")),
            (condition("Progressing", "True"), ("Progressing", "")),
            (condition("Ready", "False"), ("Progressing", "")),
        ]
        for cond, expected in cases:
            with self.subTest(cond=cond):
                self.assertEqual(self.run_health(with_conditions(cond)), expected)

    def test_odd_input_never_raises(self):
        ready = condition("Ready", "True", "Registered", "ok")
        waiting = ("Progressing", WAITING)
        cases = [
            ("obj is nil", None, waiting),
            ("empty object", {}, waiting),
            ("status is a string", {"status": "Ready"}, waiting),
            ("conditions is a string", {"status": {"conditions": "Ready"}}, waiting),
            ("conditions is a number", {"status": {"conditions": 3}}, waiting),
            ("conditions is a map", {"status": {"conditions": {"Ready": ready}}}, waiting),
            ("entries are not tables", {"status": {"conditions": ["Ready", 1, True, []]}}, waiting),
            ("entries lack a type", {"status": {"conditions": [{"status": "True"}, {}]}}, waiting),
            ("type is not a string", {"status": {"conditions": [{"type": 5, "status": "True"}]}},
             waiting),
            ("condition lacks status",
             {"status": {"conditions": [{"type": "Ready", "reason": "Registered"}]}},
             ("Progressing", "Registered")),
            ("status is a boolean",
             {"status": {"conditions": [{"type": "Ready", "status": True, "message": "m"}]}},
             ("Progressing", "m")),
            ("reason and message are tables",
             {"status": {"conditions": [{"type": "Degraded", "status": "True",
                                         "reason": {"a": 1}, "message": [1, 2]}]}},
             ("Degraded", "")),
            ("numeric message",
             {"status": {"conditions": [{"type": "Ready", "status": "True", "message": 42}]}},
             ("Healthy", "42")),
            ("metadata missing", {"status": {"observedGeneration": 2, "conditions": [ready]}},
             ("Healthy", "ok")),
            ("generation not a number",
             {"metadata": {"generation": "x"},
              "status": {"observedGeneration": {"n": 1}, "conditions": [ready]}},
             ("Healthy", "ok")),
            ("generations as strings",
             {"metadata": {"generation": "4"},
              "status": {"observedGeneration": "3", "conditions": [ready]}},
             ("Progressing", "Waiting for fargate-operator to observe generation 4")),
            ("only unknown condition types",
             {"status": {"conditions": [{"type": "Synced", "status": "True"}]}}, waiting),
        ]
        for label, obj, expected in cases:
            with self.subTest(label):
                self.assertEqual(self.run_health(obj), expected)

    def test_first_condition_of_a_type_wins(self):
        obj = with_conditions(
            condition("Ready", "True", "DeploymentCompleted", "first"),
            condition("Ready", "False", "TasksNotRunning", "second"),
        )
        self.assertEqual(self.run_health(obj), ("Healthy", "first"))

    def test_script_defines_no_globals(self):
        lua = self.new_runtime()
        before = set(lua.globals().keys())
        lua.globals().obj = to_lua(lua, FARGATE_SERVICE)
        lua.execute(self.script)
        self.assertEqual(set(lua.globals().keys()) - before, {"obj"})


_LUA51 = lupa_runtime("lupa.lua51")
_LUA54 = lupa_runtime("lupa.lua54")


class TestHealthLua51(HealthLuaCases, unittest.TestCase):
    """Lua 5.1, the language gopher-lua (Argo CD's interpreter) implements."""

    lupa_module = _LUA51


class TestHealthLua54(HealthLuaCases, unittest.TestCase):
    lupa_module = _LUA54


def block_scalars(text):
    """`key: |` block scalars directly under the top-level `data:` key.

    A small stand-in for a YAML parser: literal style, clip chomping (one
    trailing newline), indentation taken from the first non-empty line.
    """
    lines = text.split("\n")
    found = {}
    in_data = False
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith("#") or not line.strip():
            continue
        if not line.startswith(" "):
            in_data = line.rstrip() == "data:"
            continue
        match = re.fullmatch(r" +([^\s#'\"][^:]*):[ \t]*\|[ \t]*", line)
        if not in_data or not match:
            continue
        body, indent = [], None
        while i < len(lines):
            current = lines[i]
            if current.strip():
                width = len(current) - len(current.lstrip(" "))
                if indent is None:
                    indent = width
                if width < indent:
                    break
                body.append(current[indent:])
            else:
                body.append("")
            i += 1
        while body and body[-1] == "":
            body.pop()
        found[match.group(1)] = "\n".join(body) + "\n" if body else ""
    return found


class TestArgoCdConfigMap(unittest.TestCase):
    def setUp(self):
        self.text = read(ARGOCD_CM)
        self.lua = read(HEALTH_LUA)

    def test_keys_use_literal_block_scalars(self):
        for key in HEALTH_KEYS:
            with self.subTest(key=key):
                self.assertRegex(self.text, rf"(?m)^  {re.escape(key)}: \|$")

    def test_embedded_lua_equals_health_lua(self):
        data = block_scalars(self.text)
        self.assertEqual(sorted(data), sorted(HEALTH_KEYS))
        for key in HEALTH_KEYS:
            with self.subTest(key=key):
                self.assertEqual(data[key], self.lua)

    def test_configmap_parses_and_matches(self):
        cm = yaml.safe_load(self.text)
        self.assertEqual(cm["apiVersion"], "v1")
        self.assertEqual(cm["kind"], "ConfigMap")
        self.assertEqual(cm["metadata"]["name"], "argocd-cm")
        self.assertEqual(cm["metadata"]["namespace"], "argocd")
        self.assertEqual(
            cm["metadata"]["labels"],
            {"app.kubernetes.io/name": "argocd-cm", "app.kubernetes.io/part-of": "argocd"},
        )
        self.assertEqual(cm["data"], {key: self.lua for key in HEALTH_KEYS})
        # The fallback reader must agree with a real YAML parser.
        self.assertEqual(block_scalars(self.text), cm["data"])


class TestArgoCdApplications(unittest.TestCase):
    def setUp(self):
        docs = [doc for doc in yaml.safe_load_all(read(APPLICATION)) if doc is not None]
        self.assertEqual(len(docs), 2)
        self.operator, self.example = docs
        for doc in docs:
            self.assertEqual(doc["apiVersion"], "argoproj.io/v1alpha1")
            self.assertEqual(doc["kind"], "Application")
            self.assertEqual(doc["metadata"]["namespace"], "argocd")

    def test_operator_application_installs_chart(self):
        self.assertEqual(self.operator["metadata"]["name"], "fargate-operator")
        spec = self.operator["spec"]
        source = spec["source"]
        self.assertEqual(source["repoURL"], "https://github.com/fargate-operator/fargate-operator")
        self.assertEqual(source["path"], "charts/fargate-operator")
        self.assertEqual(source["targetRevision"], "main")
        values = source["helm"]["valuesObject"]
        self.assertEqual(values["aws"]["region"], "eu-west-1")
        self.assertEqual(
            values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"],
            f"arn:aws:iam::{ACCOUNT}:role/fargate-operator",
        )
        # The boundary iam/controller-policy.json requires, in the same account
        # (tests/python/test_deploy.py checks the operator accepts it).
        self.assertEqual(
            values["managedRoles"]["permissionsBoundary"],
            f"arn:aws:iam::{ACCOUNT}:policy/fargate-operator-boundary",
        )
        self.assertEqual(
            spec["destination"],
            {"server": "https://kubernetes.default.svc", "namespace": "fargate-operator"},
        )
        self.assertEqual(spec["syncPolicy"]["automated"], {"prune": True, "selfHeal": True})
        self.assertEqual(
            set(spec["syncPolicy"]["syncOptions"]), {"CreateNamespace=true", "ServerSideApply=true"}
        )

    def test_chart_path_exists(self):
        chart = os.path.join(REPO_ROOT, self.operator["spec"]["source"]["path"])
        self.assertTrue(os.path.isfile(os.path.join(chart, "Chart.yaml")))

    def test_example_workload_application(self):
        self.assertEqual(self.example["metadata"]["name"], "shop")
        source = self.example["spec"]["source"]
        self.assertEqual(source["repoURL"], "https://github.com/example/shop-infra")
        self.assertEqual(source["path"], "k8s/fargate")
        self.assertIn("automated", self.example["spec"]["syncPolicy"])


if __name__ == "__main__":
    unittest.main()
