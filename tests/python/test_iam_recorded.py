"""Checks iam/controller-policy.json against the requests the operator really sends.

Run with:  python -m unittest discover -s tests/python -t tests/python
(after `cargo build --locked`; scripts/test.sh does both).

test_iam_policy.py evaluates every action in src/plan/op.rs with a request context
written by hand, which can hide a mismatch between the policy's conditions and what the
code sends (it did: CreateCluster carries no uid tag). This test instead:

1. starts moto (scripts/moto_server.py --network, 127.0.0.1, a free port) and turns on
   its request recorder;
2. runs the built binary like scripts/demo.sh: `apply` with
   `--role-permissions-boundary` (as iam/README.md requires), then `delete`, on a copy
   of examples/ with moto's subnets and security group;
3. downloads the recording and turns every HTTP request into IAM authorization
   requests (action, resource ARN, context) derived from the request itself: the
   action from X-Amz-Target (JSON protocols) or `Action=` (query protocols), the
   resource from the request parameters, `aws:RequestTag/*` from the tags sent,
   `iam:PermissionsBoundary` from the request or the role's boundary, `aws:ResourceTag/*`
   from the tags the same recording created the resource with, plus the permissions AWS
   checks on top (the IMPLIED table of test_iam_policy.py, derived per request);
4. evaluates each with test_iam_policy's evaluator against the controller policy
   (ACCOUNT_ID replaced by moto's account) and fails listing every denied request.

A request this file cannot translate fails the test rather than being skipped.
"""

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse
import urllib.request
from collections import namedtuple
from pathlib import Path

import yaml  # pinned in scripts/requirements.txt

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_iam_policy as static  # noqa: E402

ROOT = static.ROOT
EXAMPLES = ROOT / "examples"
MOTO_SERVER = ROOT / "scripts" / "moto_server.py"

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/fargate-operator-boundary"
# The examples' placeholders (as in scripts/demo.sh).
PLACEHOLDER_SUBNETS = ("subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829")
PLACEHOLDER_SECURITY_GROUP = "sg-0123456789abcdef0"
RUN_TIMEOUT_SECONDS = 600

# The name prefixes of every role the operator creates: fgo_<namespace>_<name>_<kind>, and
# fgo-<namespace>-<name>-<kind> for objects an earlier version named so.
MANAGED_ROLE_PREFIX = ("fgo_", "fgo-")
MANAGED_ROLE_PATH = "/fargate-operator/"

ECS_SLR = static.ECS_SLR
SCALING_SLR = static.SCALING_SLR

# Actions the recording of the examples must contain, so the test cannot pass vacuously.
MUST_BE_RECORDED = {
    "ecs:CreateCluster",
    "ecs:CreateService",
    "ecs:UpdateService",
    "ecs:DeleteService",
    "ecs:RegisterTaskDefinition",
    "iam:CreateRole",
    "logs:CreateLogGroup",
    "application-autoscaling:RegisterScalableTarget",
    "ecs:RunTask",
    "ecs:StopTask",
    # examples/nightly-report.yaml: a scheduled FargateTask.
    "scheduler:CreateSchedule",
    "scheduler:DeleteSchedule",
}

JSON_TARGET_PREFIX = {
    "ecs": "AmazonEC2ContainerServiceV20141113",
    "logs": "Logs_20140328",
    "application-autoscaling": "AnyScaleFrontendService",
}
QUERY_SERVICES = {"iam", "elasticloadbalancing"}
# REST-JSON services: the operation from the method on the resource path.
SCHEDULER_OPERATIONS = {"GET": "GetSchedule", "POST": "CreateSchedule", "PUT": "UpdateSchedule",
                        "DELETE": "DeleteSchedule"}
SCHEDULE_PATH = re.compile(r"^/schedules/([0-9A-Za-z_.-]+)$")
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")

# One recorded HTTP request, as the operator sent it.
Call = namedtuple("Call", "index action params")
# One authorization AWS performs for it.
Request = namedtuple("Request", "action resource context why")


class NotModelled(Exception):
    """A recorded request this file does not know how to authorize."""


# ------------------------------------------------------------- the recording


def parse_entry(index, entry):
    """A moto recorder entry -> Call(index, "<service>:<Operation>", params)."""
    headers = {k.lower(): v for k, v in entry.get("headers", {}).items()}
    body = entry.get("body") or ""
    if entry.get("body_encoded"):
        body = base64.b64decode(body).decode("utf-8")
    scope = CREDENTIAL_SCOPE.search(headers.get("authorization", ""))
    if not scope:
        raise NotModelled(f"#{index} {entry.get('method')} {entry.get('url')}: no SigV4 credential scope")
    service = scope.group(2)
    target = headers.get("x-amz-target")
    if service == "scheduler":
        return Call(index, f"scheduler:{scheduler_operation(index, entry)}", scheduler_params(entry, body))
    if target:
        prefix, _, operation = target.partition(".")
        if JSON_TARGET_PREFIX.get(service) != prefix:
            raise NotModelled(f"#{index}: X-Amz-Target {target!r} signed for {service!r}")
        params = json.loads(body) if body.strip() else {}
    elif service in QUERY_SERVICES and headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"):
        form = urllib.parse.parse_qs(body, keep_blank_values=True)
        params = {k: v[0] for k, v in form.items()}
        operation = params.pop("Action", None)
        params.pop("Version", None)
        if not operation:
            raise NotModelled(f"#{index}: {service} query request without Action=")
    else:
        raise NotModelled(f"#{index} {entry.get('method')} {entry.get('url')}: "
                          f"neither X-Amz-Target nor a query-protocol form (signed for {service!r})")
    return Call(index, f"{service}:{operation}", params)


def scheduler_operation(index, entry):
    """EventBridge Scheduler (REST-JSON): the operation of a request on /schedules/<name>."""
    path = urllib.parse.urlsplit(entry.get("url", "")).path
    operation = SCHEDULER_OPERATIONS.get(entry.get("method"))
    if not SCHEDULE_PATH.match(path) or not operation:
        raise NotModelled(f"#{index} {entry.get('method')} {entry.get('url')}: not a schedule request")
    return operation


def scheduler_params(entry, body):
    """The schedule's name (from the path), group (query or body) and the body's fields."""
    url = urllib.parse.urlsplit(entry.get("url", ""))
    params = json.loads(body) if body.strip() else {}
    params["Name"] = SCHEDULE_PATH.match(url.path).group(1)
    query = urllib.parse.parse_qs(url.query)
    params.setdefault("GroupName", query.get("groupName", ["default"])[0])
    return params


def parse_recording(text):
    """(calls, problems) for moto's recording (one JSON object per line)."""
    calls, problems = [], []
    for index, line in enumerate(l for l in text.splitlines() if l.strip()):
        try:
            calls.append(parse_entry(index, json.loads(line)))
        except NotModelled as e:
            problems.append(str(e))
    return calls, problems


# ------------------------------------------- recorded calls -> authorizations


def ecs_arn(kind, rest):
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:{kind}/{rest}"


def last_segment(name_or_arn):
    return name_or_arn.rsplit("/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn


def request_tags(tags):
    return {f"aws:RequestTag/{k}": v for k, v in tags.items()}


def resource_tags(tags):
    return {f"aws:ResourceTag/{k}": v for k, v in tags.items()}


def ecs_tag_map(tags):
    return {t["key"]: t["value"] for t in tags or []}


def iam_tag_map(params):
    tags, n = {}, 1
    while f"Tags.member.{n}.Key" in params:
        tags[params[f"Tags.member.{n}.Key"]] = params.get(f"Tags.member.{n}.Value", "")
        n += 1
    return tags


def cloudwatch_alarm(resource_id):
    # Target tracking alarms are named by AWS: TargetTracking-<resource id>-AlarmHigh-<uuid>.
    return (f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:TargetTracking-{resource_id}"
            "-AlarmHigh-00000000-0000-0000-0000-000000000000")


# IAM sets iam:PermissionsBoundary for CreateRole and PutRolePermissionsBoundary from the
# request, and for these role actions from the boundary the role already has.
BOUNDARY_FROM_ROLE = {"iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePolicy",
                      "iam:DeleteRolePolicy", "iam:DeleteRolePermissionsBoundary"}

# Actions without resource-level permissions, or (Application Auto Scaling) whose resource
# is a scalable-target ARN with an ID AWS assigns that no request carries: evaluated on "*".
ON_ANY_RESOURCE = {
    "ecs:ListTaskDefinitions",
    "ecs:ListClusters",
    "ecs:ListServices",
    "logs:DescribeLogGroups",
    "elasticloadbalancing:DescribeTargetGroups",
    *(f"application-autoscaling:{op}" for op in (
        "DescribeScalableTargets", "DescribeScalingPolicies", "DescribeScheduledActions",
        "RegisterScalableTarget", "DeregisterScalableTarget", "PutScalingPolicy",
        "DeleteScalingPolicy", "PutScheduledAction", "DeleteScheduledAction")),
}
# Role actions addressed by RoleName alone, with no side effect on what is tracked.
ROLE_ACTIONS = {f"iam:{op}" for op in (
    "GetRole", "GetRolePolicy", "ListAttachedRolePolicies", "ListRolePolicies",
    "UpdateAssumeRolePolicy", "PutRolePolicy", "DeleteRolePolicy")}
# Log group actions addressed by logGroupName.
LOG_GROUP_ACTIONS = {"logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy"}


class Authorizer:
    """Turns recorded calls, in order, into the authorizations AWS would perform.

    Keeps what the recording itself created (tags of ECS resources, log groups and
    roles; role paths and boundaries; task definition revisions), so later requests
    get the resource context AWS would have.
    """

    def __init__(self):
        self.ecs_tags = {}       # ECS ARN -> tags it was created/tagged with
        self.task_tags = {}      # cluster -> the tags of the last RunTask in it
        self.task_definition_roles = {}  # task definition ARN -> the roles it passes
        self.revisions = {}      # task definition family -> last revision registered
        self.log_group_tags = {}  # log group ARN -> tags
        self.roles = {}          # role name -> {"path", "boundary", "tags"}

    # -- helpers

    def role(self, name):
        if name in self.roles:
            return self.roles[name]
        if name.startswith(MANAGED_ROLE_PREFIX):
            # Not created (yet) in this recording, e.g. GetRole before CreateRole: the
            # operator addresses its managed roles, which it creates under this path.
            return {"path": MANAGED_ROLE_PATH, "boundary": None, "tags": {}}
        raise NotModelled(f"role {name!r} is neither created in the recording nor operator-managed")

    def role_arn(self, name, path=None):
        path = path if path is not None else self.role(name)["path"]
        return f"arn:aws:iam::{ACCOUNT}:role{path}{name}"

    def task_definition_arn(self, ref):
        if ref.startswith("arn:"):
            return ref
        family, _, revision = ref.partition(":")
        if not revision:
            if family not in self.revisions:
                raise NotModelled(f"task definition {ref!r} without a revision, none registered")
            revision = str(self.revisions[family])
        return ecs_arn("task-definition", f"{family}:{revision}")

    @staticmethod
    def cluster_of(params, key="cluster"):
        return last_segment(params.get(key) or "default")

    # -- the translation

    def authorize(self, call):
        """[Request] for one call: the call itself first, then what AWS checks on top."""
        why = f"#{call.index} {call.action}"
        out = []

        def add(action, resource, context, implied=False):
            out.append(Request(action, resource, dict(context), f"implied by {why}" if implied else why))

        # The tables cover the call itself; a handler `_<service>_<Operation>` covers the
        # rest of the call (or all of it) and what AWS checks on top.
        if call.action in ON_ANY_RESOURCE:
            add(call.action, "*", {})
        elif call.action in ROLE_ACTIONS:
            self._role_request(call.action, call.params, add)
        elif call.action in LOG_GROUP_ACTIONS:
            arn = self.log_group_arn(call.params["logGroupName"])
            add(call.action, arn, resource_tags(self.log_group_tags.get(arn, {})))
        service, operation = call.action.split(":", 1)
        handler = getattr(self, f"_{service.replace('-', '_')}_{operation}", None)
        if handler:
            handler(call.params, add)
        if not out:
            raise NotModelled(f"{why}: no translation for {call.action} in test_iam_recorded.py")
        return out

    # ECS

    def _ecs_CreateCluster(self, p, add):
        name = p.get("clusterName") or "default"
        arn = ecs_arn("cluster", name)
        tags = ecs_tag_map(p.get("tags"))
        add("ecs:CreateCluster", arn, request_tags(tags))
        if tags:
            add("ecs:TagResource", arn, {**request_tags(tags), "ecs:CreateAction": "CreateCluster"}, implied=True)
        add("iam:CreateServiceLinkedRole", ECS_SLR, {"iam:AWSServiceName": "ecs.amazonaws.com"}, implied=True)
        # CreateCluster on an existing cluster returns it unchanged.
        self.ecs_tags.setdefault(arn, tags)

    def _ecs_UpdateCluster(self, p, add):
        arn = ecs_arn("cluster", last_segment(p["cluster"]))
        add("ecs:UpdateCluster", arn, resource_tags(self.ecs_tags.get(arn, {})))

    def _ecs_DescribeClusters(self, p, add):
        for c in p.get("clusters") or ["default"]:
            arn = ecs_arn("cluster", last_segment(c))
            add("ecs:DescribeClusters", arn, resource_tags(self.ecs_tags.get(arn, {})))

    def _ecs_CreateService(self, p, add):
        arn = ecs_arn("service", f"{self.cluster_of(p)}/{p['serviceName']}")
        tags = ecs_tag_map(p.get("tags"))
        add("ecs:CreateService", arn, request_tags(tags))
        if tags:
            add("ecs:TagResource", arn, {**request_tags(tags), "ecs:CreateAction": "CreateService"}, implied=True)
        if p.get("role"):
            add("iam:PassRole", p["role"], {"iam:PassedToService": "ecs.amazonaws.com"}, implied=True)
        self.ecs_tags[arn] = tags

    def _service_arn(self, p):
        return ecs_arn("service", f"{self.cluster_of(p)}/{last_segment(p['service'])}")

    def _ecs_UpdateService(self, p, add):
        arn = self._service_arn(p)
        add("ecs:UpdateService", arn, resource_tags(self.ecs_tags.get(arn, {})))

    def _ecs_DeleteService(self, p, add):
        arn = self._service_arn(p)
        add("ecs:DeleteService", arn, resource_tags(self.ecs_tags.pop(arn, {})))

    def _ecs_DescribeServices(self, p, add):
        for s in p.get("services", []):
            arn = ecs_arn("service", f"{self.cluster_of(p)}/{last_segment(s)}")
            add("ecs:DescribeServices", arn, resource_tags(self.ecs_tags.get(arn, {})))

    def _ecs_RegisterTaskDefinition(self, p, add):
        family = p["family"]
        self.revisions[family] = self.revisions.get(family, 0) + 1
        arn = ecs_arn("task-definition", f"{family}:{self.revisions[family]}")
        tags = ecs_tag_map(p.get("tags"))
        add("ecs:RegisterTaskDefinition", "*", request_tags(tags))  # no resource-level permissions
        if tags:
            add("ecs:TagResource", arn, {**request_tags(tags), "ecs:CreateAction": "RegisterTaskDefinition"},
                implied=True)
        roles = [p[key] for key in ("executionRoleArn", "taskRoleArn") if p.get(key)]
        for role in roles:
            add("iam:PassRole", role, {"iam:PassedToService": "ecs-tasks.amazonaws.com"}, implied=True)
        self.ecs_tags[arn] = tags
        self.task_definition_roles[arn] = roles

    def _ecs_DescribeTaskDefinition(self, p, add):
        arn = self.task_definition_arn(p["taskDefinition"])
        add("ecs:DescribeTaskDefinition", arn, resource_tags(self.ecs_tags.get(arn, {})))

    def _ecs_DeregisterTaskDefinition(self, p, add):
        arn = self.task_definition_arn(p["taskDefinition"])
        add("ecs:DeregisterTaskDefinition", arn, resource_tags(self.ecs_tags.get(arn, {})))

    def _ecs_ListTasks(self, p, add):
        add("ecs:ListTasks", ecs_arn("container-instance", f"{self.cluster_of(p)}/*"), {})

    def _ecs_DescribeTasks(self, p, add):
        for t in p.get("tasks", []):
            add("ecs:DescribeTasks", ecs_arn("task", f"{self.cluster_of(p)}/{last_segment(t)}"), {})

    def _ecs_RunTask(self, p, add):
        # Authorised on the task definition; the tags on create as tagging of the task.
        tags = ecs_tag_map(p.get("tags"))
        cluster = self.cluster_of(p)
        arn = self.task_definition_arn(p["taskDefinition"])
        add("ecs:RunTask", arn, request_tags(tags))
        # The task definition's roles are passed to the tasks.
        for role in self.task_definition_roles.get(arn, []):
            add("iam:PassRole", role, {"iam:PassedToService": "ecs-tasks.amazonaws.com"}, implied=True)
        if tags:
            add("ecs:TagResource", ecs_arn("task", f"{cluster}/*"),
                {**request_tags(tags), "ecs:CreateAction": "RunTask"}, implied=True)
        # The recording has no answers, so a later StopTask's task is known by its cluster
        # only: the tags of its last RunTask. The examples' runs in one cluster (a
        # FargateTask's, a FargateService's preDeploy) all carry the ownership tags.
        self.task_tags[cluster] = tags

    def _ecs_StopTask(self, p, add):
        cluster = self.cluster_of(p)
        add("ecs:StopTask", ecs_arn("task", f"{cluster}/{last_segment(p['task'])}"),
            resource_tags(self.task_tags.get(cluster, {})))

    def _ecs_ListServiceDeployments(self, p, add):
        # The service authorization reference: resource type service.
        add("ecs:ListServiceDeployments",
            ecs_arn("service", f"{self.cluster_of(p)}/{last_segment(p['service'])}"), {})

    def _ecs_DescribeServiceDeployments(self, p, add):
        # Resource type service-deployment: the ARNs the request names.
        for arn in p.get("serviceDeploymentArns", []):
            add("ecs:DescribeServiceDeployments", arn, {})

    def _ecs_DescribeServiceRevisions(self, p, add):
        # Resource type service-revision: the ARNs the request names.
        for arn in p.get("serviceRevisionArns", []):
            add("ecs:DescribeServiceRevisions", arn, {})

    def _ecs_TagResource(self, p, add):
        arn = p["resourceArn"]
        tags = ecs_tag_map(p.get("tags"))
        add("ecs:TagResource", arn, {**resource_tags(self.ecs_tags.get(arn, {})), **request_tags(tags)})
        self.ecs_tags.setdefault(arn, {}).update(tags)

    def _ecs_UntagResource(self, p, add):
        arn = p["resourceArn"]
        add("ecs:UntagResource", arn, resource_tags(self.ecs_tags.get(arn, {})))
        for key in p.get("tagKeys", []):
            self.ecs_tags.get(arn, {}).pop(key, None)

    # CloudWatch Logs

    @staticmethod
    def log_group_arn(name):
        return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}"

    def _logs_CreateLogGroup(self, p, add):
        arn = self.log_group_arn(p["logGroupName"])
        tags = dict(p.get("tags") or {})
        add("logs:CreateLogGroup", arn, request_tags(tags))
        if tags:
            add("logs:TagResource", arn, request_tags(tags), implied=True)
        self.log_group_tags[arn] = tags

    def _logs_DeleteLogGroup(self, p, add):
        arn = self.log_group_arn(p["logGroupName"])
        add("logs:DeleteLogGroup", arn, resource_tags(self.log_group_tags.pop(arn, {})))

    def _logs_ListTagsForResource(self, p, add):
        arn = p["resourceArn"]
        add("logs:ListTagsForResource", arn, resource_tags(self.log_group_tags.get(arn, {})))

    # Application Auto Scaling (the calls themselves are in ON_ANY_RESOURCE)

    def _application_autoscaling_RegisterScalableTarget(self, p, add):
        add("iam:CreateServiceLinkedRole", SCALING_SLR,
            {"iam:AWSServiceName": "ecs.application-autoscaling.amazonaws.com"}, implied=True)
        resource_id = p["ResourceId"]  # service/<cluster>/<service>
        if p.get("ServiceNamespace") != "ecs" or not resource_id.startswith("service/"):
            raise NotModelled(f"scalable target {p.get('ServiceNamespace')}/{resource_id} is not an ECS service")
        arn = ecs_arn("service", resource_id[len("service/"):])
        for action in ("ecs:DescribeServices", "ecs:UpdateService"):
            add(action, arn, resource_tags(self.ecs_tags.get(arn, {})), implied=True)

    def _application_autoscaling_PutScalingPolicy(self, p, add):
        for action in ("cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms"):
            add(action, cloudwatch_alarm(p["ResourceId"]), {}, implied=True)

    def _application_autoscaling_DeleteScalingPolicy(self, p, add):
        for action in ("cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms"):
            add(action, cloudwatch_alarm(p["ResourceId"]), {}, implied=True)

    # EventBridge Scheduler

    @staticmethod
    def schedule_arn(p):
        return f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{p.get('GroupName') or 'default'}/{p['Name']}"

    def _scheduler_GetSchedule(self, p, add):
        add("scheduler:GetSchedule", self.schedule_arn(p), {})

    def _scheduler_DeleteSchedule(self, p, add):
        add("scheduler:DeleteSchedule", self.schedule_arn(p), {})

    def _schedule_write(self, action, p, add):
        add(action, self.schedule_arn(p), {})
        # The schedule names the role Scheduler assumes: passed to scheduler.amazonaws.com.
        add("iam:PassRole", p["Target"]["RoleArn"], {"iam:PassedToService": "scheduler.amazonaws.com"},
            implied=True)

    def _scheduler_CreateSchedule(self, p, add):
        self._schedule_write("scheduler:CreateSchedule", p, add)

    def _scheduler_UpdateSchedule(self, p, add):
        self._schedule_write("scheduler:UpdateSchedule", p, add)

    # IAM

    def _role_request(self, action, p, add, **extra):
        name = p["RoleName"]
        role = self.role(name)
        ctx = resource_tags(role["tags"])
        if action in BOUNDARY_FROM_ROLE and role["boundary"]:
            ctx["iam:PermissionsBoundary"] = role["boundary"]
        ctx.update(extra)
        add(action, self.role_arn(name), ctx)
        return role

    def _iam_CreateRole(self, p, add):
        name, path = p["RoleName"], p.get("Path") or "/"
        arn = self.role_arn(name, path)
        tags = iam_tag_map(p)
        ctx = request_tags(tags)
        if p.get("PermissionsBoundary"):
            ctx["iam:PermissionsBoundary"] = p["PermissionsBoundary"]
        add("iam:CreateRole", arn, ctx)
        if tags:
            add("iam:TagRole", arn, request_tags(tags), implied=True)
        self.roles[name] = {"path": path, "boundary": p.get("PermissionsBoundary") or None, "tags": tags}

    def _iam_AttachRolePolicy(self, p, add):
        self._role_request("iam:AttachRolePolicy", p, add, **{"iam:PolicyARN": p["PolicyArn"]})

    def _iam_DetachRolePolicy(self, p, add):
        self._role_request("iam:DetachRolePolicy", p, add, **{"iam:PolicyARN": p["PolicyArn"]})

    def _iam_PutRolePermissionsBoundary(self, p, add):
        role = self._role_request("iam:PutRolePermissionsBoundary", p, add,
                                  **{"iam:PermissionsBoundary": p["PermissionsBoundary"]})
        self.roles[p["RoleName"]] = {**role, "boundary": p["PermissionsBoundary"]}

    def _iam_DeleteRolePermissionsBoundary(self, p, add):
        role = self._role_request("iam:DeleteRolePermissionsBoundary", p, add)
        self.roles[p["RoleName"]] = {**role, "boundary": None}

    def _iam_DeleteRole(self, p, add):
        self._role_request("iam:DeleteRole", p, add)
        self.roles.pop(p["RoleName"], None)


def authorizations(calls):
    """(requests, problems) for recorded calls, in recording order."""
    auth, requests, problems = Authorizer(), [], []
    for call in calls:
        try:
            requests.extend(auth.authorize(call))
        except (NotModelled, KeyError) as e:
            problems.append(f"#{call.index} {call.action}: {type(e).__name__}: {e}")
    return requests, problems


def controller_policy():
    text = static.CONTROLLER_POLICY.read_text(encoding="utf-8")
    return json.loads(text.replace("ACCOUNT_ID", ACCOUNT))


# ------------------------------------------------- running the real operator


def operator_binary():
    if os.environ.get("FGO_BIN"):
        return Path(os.environ["FGO_BIN"])
    target = os.environ.get("CARGO_TARGET_DIR") or str(Path.home() / ".cache" / "fargate-operator" / "target")
    return Path(target) / "debug" / "fargate-operator"


def moto_api(endpoint, path, method="GET"):
    req = urllib.request.Request(f"{endpoint}/moto-api/recorder/{path}", method=method,
                                 data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=60) as resp:
        return resp.read().decode("utf-8")


def operator_env():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "FARGATE_OPERATOR_"))}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION=REGION)
    return env


def moto_examples():
    """The examples moto can run: moto keeps no volumeConfigurations (managed EBS volumes),
    so an example with one would never converge (left out as in scripts/demo.sh; its request
    shape is tested in src/aws/sdk/ecs_convert.rs)."""
    return [p for p in sorted(EXAMPLES.glob("*.yaml"))
            if "volumeConfigurations:" not in p.read_text(encoding="utf-8")]


def record_operator_run(test):
    """Runs apply + delete of examples/ against a recording moto; returns the recording.

    `test` is the TestCase class: every process and directory is registered with its
    class cleanups, so they are stopped and removed whatever happens.
    """
    binary = operator_binary()
    if not binary.is_file() or not os.access(binary, os.X_OK):
        raise AssertionError(
            f"the fargate-operator binary is not at {binary}: build it first "
            "(`cargo build --locked`, with the same CARGO_TARGET_DIR) or point FGO_BIN at it")

    work = Path(tempfile.mkdtemp(prefix="fgo-iam-recorded-"))
    test.addClassCleanup(shutil.rmtree, work, ignore_errors=True)
    manifests = work / "manifests"
    manifests.mkdir()
    moto_log = open(work / "moto.log", "w+", encoding="utf-8")
    test.addClassCleanup(moto_log.close)

    env = dict(os.environ, MOTO_RECORDER_FILEPATH=str(work / "recording.jsonl"))
    env.pop("MOTO_ENABLE_RECORDING", None)
    moto = subprocess.Popen([sys.executable, str(MOTO_SERVER), "--network"], cwd=work, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=moto_log, text=True)

    def stop_moto():
        # Closing its stdin stops the server (scripts/moto_server.py).
        try:
            moto.stdin.close()
            moto.wait(timeout=30)
        except subprocess.TimeoutExpired:
            moto.kill()
            moto.wait()
        moto.stdout.close()

    test.addClassCleanup(stop_moto)

    line = moto.stdout.readline()  # printed once the server answers
    if not line:
        moto_log.seek(0)
        raise AssertionError(f"moto exited before it was ready:\n{moto_log.read()[-3000:]}")
    info = json.loads(line)
    endpoint = info["endpoint"]
    subnet_a, subnet_b = info["subnets"]

    for src in moto_examples():
        text = src.read_text(encoding="utf-8")
        text = (text.replace(PLACEHOLDER_SUBNETS[0], subnet_a).replace(PLACEHOLDER_SUBNETS[1], subnet_b)
                .replace(PLACEHOLDER_SECURITY_GROUP, info["securityGroup"]))
        (manifests / src.name).write_text(text, encoding="utf-8")

    # Only the operator's requests: the VPC above was made before recording starts.
    moto_api(endpoint, "reset-recording", "POST")
    moto_api(endpoint, "start-recording", "POST")
    outputs = []
    for args in (["apply", "--role-permissions-boundary", BOUNDARY_ARN], ["delete"]):
        cmd = [str(binary), args[0], "-f", str(manifests), "--endpoint-url", endpoint, *args[1:]]
        try:
            run = subprocess.run(cmd, env=operator_env(), capture_output=True, text=True,
                                 timeout=RUN_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired as e:  # subprocess.run has killed it
            raise AssertionError(f"`{' '.join(cmd)}` did not finish in {RUN_TIMEOUT_SECONDS}s") from e
        if run.returncode != 0:
            raise AssertionError(f"`{' '.join(cmd)}` exited {run.returncode}\n"
                                 f"stdout:\n{run.stdout[-3000:]}\nstderr:\n{run.stderr[-3000:]}")
        outputs.append(run.stdout)
    moto_api(endpoint, "stop-recording", "POST")
    return moto_api(endpoint, "download-recording"), outputs


# ----------------------------------------------------------------- the tests


class TranslationTest(unittest.TestCase):
    """The recording -> authorization translation itself, on hand-made entries."""

    @staticmethod
    def entry(service, body, target=None):
        headers = {"Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20250101/{REGION}/{service}/aws4_request, "
                                    "SignedHeaders=host, Signature=0"}
        if target:
            headers["X-Amz-Target"] = target
            headers["Content-Type"] = "application/x-amz-json-1.1"
            body = json.dumps(body)
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urllib.parse.urlencode(body)
        return json.dumps({"headers": headers, "method": "POST", "url": "http://127.0.0.1:1/",
                           "body": base64.b64encode(body.encode()).decode(), "body_encoded": True})

    def test_protocols_tags_and_resource_context(self):
        ecs = "AmazonEC2ContainerServiceV20141113."
        text = "\n".join([
            self.entry("iam", {"Action": "GetRole", "Version": "2010-05-08", "RoleName": "fgo-a-b-exec"}),
            self.entry("iam", {"Action": "CreateRole", "Version": "2010-05-08", "Path": "/fargate-operator/",
                               "RoleName": "fgo-a-b-exec", "PermissionsBoundary": BOUNDARY_ARN,
                               "Tags.member.1.Key": "ecs.fargate.dev/uid", "Tags.member.1.Value": "u1"}),
            self.entry("iam", {"Action": "PutRolePolicy", "Version": "2010-05-08", "RoleName": "fgo-a-b-exec",
                               "PolicyName": "p", "PolicyDocument": "{}"}),
            self.entry("ecs", {"clusterName": "c", "tags": [{"key": "k", "value": "v"}]}, ecs + "CreateCluster"),
            self.entry("ecs", {"cluster": "c", "serviceName": "s", "tags": [{"key": "ecs.fargate.dev/uid",
                                                                            "value": "u1"}]}, ecs + "CreateService"),
            self.entry("ecs", {"cluster": "c", "service": "s"}, ecs + "UpdateService"),
            self.entry("ecs", {"family": "f", "executionRoleArn": "arn:aws:iam::1:role/x", "tags": []},
                       ecs + "RegisterTaskDefinition"),
            self.entry("logs", {"logGroupName": "/ecs/f", "tags": {"a": "b"}}, "Logs_20140328.CreateLogGroup"),
        ])
        calls, problems = parse_recording(text)
        self.assertEqual(problems, [])
        self.assertEqual([c.action for c in calls],
                         ["iam:GetRole", "iam:CreateRole", "iam:PutRolePolicy", "ecs:CreateCluster",
                          "ecs:CreateService", "ecs:UpdateService", "ecs:RegisterTaskDefinition",
                          "logs:CreateLogGroup"])
        requests, problems = authorizations(calls)
        self.assertEqual(problems, [])
        by = {}
        for r in requests:
            by.setdefault((r.action, r.why.startswith("implied")), []).append(r)
        role = f"arn:aws:iam::{ACCOUNT}:role/fargate-operator/fgo-a-b-exec"
        self.assertEqual(by[("iam:GetRole", False)][0].resource, role)
        create_role = by[("iam:CreateRole", False)][0]
        self.assertEqual(create_role.context, {"aws:RequestTag/ecs.fargate.dev/uid": "u1",
                                               "iam:PermissionsBoundary": BOUNDARY_ARN})
        self.assertEqual(by[("iam:TagRole", True)][0].resource, role)
        # The role's boundary, from its CreateRole, is the context of later writes.
        self.assertEqual(by[("iam:PutRolePolicy", False)][0].context,
                         {"aws:ResourceTag/ecs.fargate.dev/uid": "u1", "iam:PermissionsBoundary": BOUNDARY_ARN})
        cluster = by[("ecs:CreateCluster", False)][0]
        self.assertEqual((cluster.resource, cluster.context),
                         (ecs_arn("cluster", "c"), {"aws:RequestTag/k": "v"}))
        self.assertEqual(by[("ecs:TagResource", True)][0].context["ecs:CreateAction"], "CreateCluster")
        self.assertEqual(by[("ecs:UpdateService", False)][0].context, {"aws:ResourceTag/ecs.fargate.dev/uid": "u1"})
        # No tags sent, no tagging authorized; the execution role is passed to ECS tasks.
        self.assertEqual(sorted(r.action for r in requests if "RegisterTaskDefinition" in r.why),
                         ["ecs:RegisterTaskDefinition", "iam:PassRole"])
        self.assertEqual([(r.resource, r.context) for r in by[("iam:PassRole", True)]],
                         [("arn:aws:iam::1:role/x", {"iam:PassedToService": "ecs-tasks.amazonaws.com"})])
        self.assertEqual(by[("logs:TagResource", True)][0].context, {"aws:RequestTag/a": "b"})

    def test_scheduler_rest_requests(self):
        auth = (f"AWS4-HMAC-SHA256 Credential=testing/20250101/{REGION}/scheduler/aws4_request, "
                "SignedHeaders=host, Signature=0")

        def sched(method, query="", body=None):
            text = json.dumps(body) if body is not None else ""
            return json.dumps({"headers": {"Authorization": auth, "Content-Type": "application/json"},
                               "method": method, "url": f"http://127.0.0.1:1/schedules/fgo_a_b{query}",
                               "body": base64.b64encode(text.encode()).decode(), "body_encoded": True})

        role = f"arn:aws:iam::{ACCOUNT}:role/fargate-operator/scheduler/fgo_a_b_sched"
        calls, problems = parse_recording("\n".join([
            sched("GET", "?groupName=default"),
            sched("POST", body={"GroupName": "default", "Target": {"RoleArn": role}}),
            sched("PUT", body={"GroupName": "default", "Target": {"RoleArn": role}}),
            sched("DELETE", "?groupName=default"),
        ]))
        self.assertEqual(problems, [])
        self.assertEqual([c.action for c in calls], ["scheduler:GetSchedule", "scheduler:CreateSchedule",
                                                     "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"])
        requests, problems = authorizations(calls)
        self.assertEqual(problems, [])
        schedule = f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/fgo_a_b"
        self.assertEqual({r.resource for r in requests if r.action.startswith("scheduler:")}, {schedule})
        passed = [(r.resource, r.context) for r in requests if r.action == "iam:PassRole"]
        self.assertEqual(passed, [(role, {"iam:PassedToService": "scheduler.amazonaws.com"})] * 2)

    def test_what_cannot_be_translated_is_reported(self):
        calls, problems = parse_recording("\n".join([
            json.dumps({"headers": {}, "method": "GET", "url": "http://x/", "body": ""}),
            self.entry("ecs", {}, "AmazonEC2ContainerServiceV20141113.DeleteCluster"),
            self.entry("iam", {"Action": "GetRole", "Version": "2010-05-08", "RoleName": "admin"}),
        ]))
        self.assertEqual(len(problems), 1)
        requests, problems = authorizations(calls)
        self.assertEqual(requests, [])
        self.assertEqual(len(problems), 2, problems)


class RecordedRequestsTest(unittest.TestCase):
    """The requests `apply` + `delete` of examples/ really send, against the policy."""

    @classmethod
    def setUpClass(cls):
        cls.recording, cls.outputs = record_operator_run(cls)
        cls.calls, cls.parse_problems = parse_recording(cls.recording)
        cls.requests, cls.translate_problems = authorizations(cls.calls)
        cls.recorded = {c.action for c in cls.calls}
        cls.policy = controller_policy()

    def test_every_recorded_request_is_understood(self):
        problems = self.parse_problems + self.translate_problems
        if problems:
            self.fail("recorded requests this test cannot authorize:\n  " + "\n  ".join(problems))

    def test_recording_exercises_the_main_paths(self):
        self.assertEqual(sorted(MUST_BE_RECORDED - self.recorded), [],
                         f"recorded actions: {sorted(self.recorded)}")
        self.assertGreater(len(self.requests), len(self.calls))  # implied ones were added

    def test_examples_create_their_clusters(self):
        clusters = set()
        for path in moto_examples():
            for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
                if doc and doc.get("kind") == "FargateService":
                    cluster = doc["spec"].get("cluster") or {}
                    self.assertIsNot(cluster.get("create", True), False,
                                     f"{path.name}: the examples should create their cluster")
                    clusters.add(cluster.get("name", "default"))
        created = {c.params.get("clusterName") for c in self.calls if c.action == "ecs:CreateCluster"}
        self.assertTrue(clusters)
        self.assertEqual(created, clusters)

    def test_every_recorded_request_is_allowed(self):
        denied, deliberate = [], []
        for r in self.requests:
            decision = static.evaluate(self.policy, r.action, r.resource, r.context)
            if r.action in static.DELIBERATELY_DENIED:
                deliberate.append(r)
            elif decision != static.ALLOW:
                denied.append(f"{r.action} on {r.resource} ({r.why}): {decision}; context {r.context}")
        problems = denied + [f"not evaluated: {p}" for p in self.parse_problems + self.translate_problems]
        if problems:
            self.fail(f"iam/controller-policy.json does not allow {len(denied)} of the {len(self.requests)} "
                      "authorizations the operator's requests need:\n  " + "\n  ".join(problems))
        self.assertEqual(deliberate, [], "run with --role-permissions-boundary, the operator should never "
                                         "call a DELIBERATELY_DENIED action")

    def test_context_was_taken_from_the_requests(self):
        # Guards the translation: if these keys went missing the policy would be checked
        # against less than the operator sends.
        creates = [r for r in self.requests if r.action == "iam:CreateRole"]
        self.assertTrue(creates)
        for r in creates:
            self.assertEqual(r.context.get("iam:PermissionsBoundary"), BOUNDARY_ARN, r)
        passed = [r for r in self.requests if r.action == "iam:PassRole"]
        self.assertTrue(passed)
        for r in self.requests:
            if r.action in ("ecs:UpdateService", "ecs:DeleteService"):
                self.assertIn("aws:ResourceTag/ecs.fargate.dev/uid", r.context, r)
            if r.action in ("ecs:CreateCluster", "ecs:CreateService") and not r.why.startswith("implied"):
                self.assertTrue(any(k.startswith("aws:RequestTag/") for k in r.context), r)

    def test_recorded_actions_are_in_the_operation_table(self):
        # Ties this test to test_iam_policy.py's static list (which also covers the calls
        # the examples do not exercise).
        called = static.actions_called(static.OP_TABLE.read_text(encoding="utf-8"))
        self.assertEqual(sorted(self.recorded - called), [])

    def test_implied_permissions_match_the_implied_table(self):
        derived = {}
        for r in self.requests:
            if r.why.startswith("implied by "):
                called = r.why.split()[-1]
                derived.setdefault(called, set()).add(r.action)
        for called, implied in sorted(derived.items()):
            with self.subTest(called=called):
                self.assertEqual(implied, set(static.IMPLIED.get(called, [])))
        for called in sorted(self.recorded & set(static.IMPLIED)):
            with self.subTest(called=called):
                self.assertIn(called, derived, "IMPLIED lists permissions this test never derived")


if __name__ == "__main__":
    unittest.main()
