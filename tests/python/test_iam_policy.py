"""Checks iam/controller-policy.json against the AWS calls the operator makes.

Run with:  python -m unittest discover -s tests/python

Every AWS request the operator sends goes through `send(limits, AwsOp::<Operation>, ...)`
in src/aws/sdk/, and `AwsOp` is one table, the `aws_ops!` rows of src/plan/op.rs: one
row per operation, naming its service (so its IAM action is `<service>:<Operation>`).
The tests read the actions from those rows, add the permissions AWS checks implicitly
(IMPLIED), and evaluate each against the controller policy with a small IAM
evaluator, so a new operation in the code without a matching grant fails here rather
than in production.

The request context used here (OPERATOR_CONTEXT, CONTEXT_BY_ACTION) is written by
hand. test_iam_recorded.py checks the same policy against the requests the real
binary sends to moto, with the context taken from those requests.

The evaluator (`evaluate`) is deliberately small and strict:

* Action matching is a case-insensitive glob, Resource matching a case-sensitive
  glob; in both only `*` (any run of characters) and `?` (one character) are
  special (fnmatch semantics without `[...]` classes, as in IAM).
* Supported condition operators: StringEquals, StringLike, Null. Anything else
  (including ...IfExists and ForAnyValue:/ForAllValues: prefixes) raises
  UnsupportedPolicy. Condition key names are case-insensitive (as in IAM);
  values are case-sensitive.
* A missing context key makes StringEquals/StringLike false; Null checks
  presence ("true" = key absent, "false" = key present).
* All operators in a Condition, and all keys in an operator, must hold (AND);
  a list of values for one key matches if any value matches (OR).
* NotAction, NotResource, Principal and NotPrincipal raise UnsupportedPolicy.
* An applicable Deny wins; otherwise an applicable Allow allows; otherwise the
  request is implicitly denied.
"""

import copy
import json
import re
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OP_TABLE = ROOT / "src" / "plan" / "op.rs"
IAM_DIR = ROOT / "iam"
CONTROLLER_POLICY = IAM_DIR / "controller-policy.json"
BOUNDARY_POLICY = IAM_DIR / "permissions-boundary.json"
README = IAM_DIR / "README.md"

# ----------------------------------------------------------------- evaluator

ALLOW = "Allow"
EXPLICIT_DENY = "ExplicitDeny"
IMPLICIT_DENY = "ImplicitDeny"

SUPPORTED_OPERATORS = ("StringEquals", "StringLike", "ArnLike", "ArnNotLike", "Null")
SUPPORTED_STATEMENT_KEYS = {"Sid", "Effect", "Action", "Resource", "Condition"}


class UnsupportedPolicy(Exception):
    """The policy uses an element the evaluator does not model."""


def _as_list(value):
    return list(value) if isinstance(value, list) else [value]


def glob_match(pattern, text, ignore_case):
    """IAM wildcard match: `*` any run of characters, `?` exactly one."""
    parts = []
    for ch in pattern:
        if ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch("".join(parts), text, flags) is not None


def _statements(policy):
    statements = _as_list(policy["Statement"])
    for stmt in statements:
        unknown = set(stmt) - SUPPORTED_STATEMENT_KEYS
        if unknown:
            raise UnsupportedPolicy(
                f"statement {stmt.get('Sid')!r} uses unsupported element(s) {sorted(unknown)}"
            )
        if stmt.get("Effect") not in ("Allow", "Deny"):
            raise UnsupportedPolicy(f"statement {stmt.get('Sid')!r} has Effect {stmt.get('Effect')!r}")
        if "Action" not in stmt or "Resource" not in stmt:
            raise UnsupportedPolicy(f"statement {stmt.get('Sid')!r} needs Action and Resource")
    return statements


def condition_holds(condition, context):
    ctx = {k.lower(): v for k, v in context.items()}
    for operator, block in condition.items():
        if operator not in SUPPORTED_OPERATORS:
            raise UnsupportedPolicy(f"condition operator {operator!r} is not supported")
        for key, expected in block.items():
            expected = [str(v).lower() if isinstance(v, bool) else v for v in _as_list(expected)]
            present = key.lower() in ctx
            if operator == "Null":
                if len(expected) != 1 or expected[0] not in ("true", "false"):
                    raise UnsupportedPolicy(f"Null on {key!r} needs \"true\" or \"false\", got {expected}")
                if present == (expected[0] == "true"):
                    return False
                continue
            if operator == "ArnNotLike":
                # A negated operator holds when the key is absent (as in AWS).
                if present and any(glob_match(p, ctx[key.lower()], ignore_case=False) for p in expected):
                    return False
                continue
            if not present:
                return False
            actual = ctx[key.lower()]
            if not isinstance(actual, str):
                raise UnsupportedPolicy(f"context key {key!r} is multi-valued; needs ForAnyValue/ForAllValues")
            if operator == "StringEquals":
                ok = actual in expected
            else:  # StringLike, ArnLike (a glob over the whole ARN)
                ok = any(glob_match(p, actual, ignore_case=False) for p in expected)
            if not ok:
                return False
    return True


def statement_applies(stmt, action, resource, context):
    if not any(glob_match(p, action, ignore_case=True) for p in _as_list(stmt["Action"])):
        return False
    if not any(glob_match(p, resource, ignore_case=False) for p in _as_list(stmt["Resource"])):
        return False
    return condition_holds(stmt.get("Condition", {}), context)


def evaluate(policy, action, resource, context):
    """ALLOW, EXPLICIT_DENY or IMPLICIT_DENY for one request against one policy."""
    allowed = False
    for stmt in _statements(policy):
        if statement_applies(stmt, action, resource, context):
            if stmt["Effect"] == "Deny":
                return EXPLICIT_DENY
            allowed = True
    return ALLOW if allowed else IMPLICIT_DENY


# ----------------------------------------------------- actions from the code

ACTION_NAME = re.compile(r"[a-z0-9-]+:[A-Za-z0-9]+")
# The invocation of the table (not the `macro_rules! aws_ops` definition above it).
TABLE_START = re.compile(r"^[ \t]*aws_ops! \{[ \t]*$", re.M)
# `CreateService = "ecs" Write EcsServiceWrite "create_service";` (an operator call) or
# `DescribeTasks = "ecs" Read EcsRead after ListTasks Once;` (a follow-up request).
OP_ROW = re.compile(
    r'([A-Z][A-Za-z0-9]*) = "([a-z0-9-]+)" (?:Read|Write) [A-Z][A-Za-z0-9]* '
    r'(?:"[a-z_]+"|after [A-Z][A-Za-z0-9]* (?:Once|PerItem));'
)
TABLE_SYNTAX = re.compile(r"(calls|follow_ups) \{|\}|//.*")


def actions_called(source):
    """IAM actions of the operation table: the rows of `aws_ops! { ... }` in src/plan/op.rs.

    Every line of the table is a row, a section header, a closing brace, a comment or
    blank; anything else raises, so a new row format cannot silently escape the check.
    """
    start = TABLE_START.search(source)
    if not start:
        raise ValueError("no `aws_ops! {` table")
    found = set()
    depth = 1
    for offset, line in enumerate(source[start.end():].splitlines()):
        text = line.strip()
        if not text:
            continue
        row = OP_ROW.fullmatch(text)
        if row:
            action = f"{row.group(2)}:{row.group(1)}"
            if not ACTION_NAME.fullmatch(action):
                raise ValueError(f"{text!r}: {action!r} is not an IAM action name")
            found.add(action)
            continue
        if not TABLE_SYNTAX.fullmatch(text):
            raise ValueError(f"cannot read table line {offset + 1}: {text!r}")
        if text.endswith("{"):
            depth += 1
        elif text == "}":
            depth -= 1
        if depth == 0:
            return found
    raise ValueError("the `aws_ops!` table is not closed")


# ------------------------------------------------------ representative requests

ACCOUNT = "123456789012"
REGION = "us-east-1"
BOUNDARY_ARN = "arn:aws:iam::ACCOUNT_ID:policy/fargate-operator-boundary"  # as in the policy file
MANAGED_ROLE = f"arn:aws:iam::{ACCOUNT}:role/fargate-operator/fgo-shop-web-api-exec"
ECS_SERVICE = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/shop/web-api"
ECS_CLUSTER = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/shop"
ECS_TASK_DEFINITION = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/shop-web-api:7"
SCALING_SLR = (
    f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_ECSService"
)
ECS_SLR = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"

SAMPLE_RESOURCE_BY_SERVICE = {
    "ecs": ECS_SERVICE,
    "iam": MANAGED_ROLE,
    "logs": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/shop-web-api",
    "application-autoscaling": (
        f"arn:aws:application-autoscaling:{REGION}:{ACCOUNT}:scalable-target/0ec9f3c1a4b54e7d9f1e2a3b4c5d6e7f"
    ),
    "cloudwatch": (
        f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:"
        "TargetTracking-service/shop/web-api-AlarmHigh-0b7e2f1c-2d3e-4f50-8a9b-0c1d2e3f4a5b"
    ),
    "elasticloadbalancing": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/web-api/6d0ecf831eec9f09",
    # A scheduled FargateTask's schedule: fgo_<namespace>_<name> in the default group.
    "scheduler": f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/fgo_shop_nightly",
}
SCHEDULER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/fargate-operator/scheduler/fgo_shop_nightly_sched"
# Where one service's actions address different resource types.
SAMPLE_RESOURCE_BY_ACTION = {
    "ecs:CreateCluster": ECS_CLUSTER,
    "ecs:UpdateClusterSettings": ECS_CLUSTER,
    "ecs:UpdateCluster": ECS_CLUSTER,
    "ecs:DescribeClusters": ECS_CLUSTER,
    "ecs:RegisterTaskDefinition": "*",  # no resource-level permissions
    "ecs:ListTaskDefinitions": "*",
    "ecs:ListClusters": "*",  # no resource-level permissions
    "ecs:ListServices": "*",  # no resource-level permissions (a condition key names the cluster)
    "ecs:DescribeTaskDefinition": ECS_TASK_DEFINITION,
    "ecs:DeregisterTaskDefinition": ECS_TASK_DEFINITION,
    "ecs:ListTasks": f"arn:aws:ecs:{REGION}:{ACCOUNT}:container-instance/shop/*",
    "ecs:DescribeTasks": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/shop/8f0c6e0b6a8f4a4c9d3e2b1a0f9e8d7c",
    # RunTask is authorised on the task definition it runs, StopTask on the task.
    "ecs:RunTask": ECS_TASK_DEFINITION,
    "ecs:StopTask": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/shop/8f0c6e0b6a8f4a4c9d3e2b1a0f9e8d7c",
    "logs:DescribeLogGroups": "*",
    "iam:CreateServiceLinkedRole": SCALING_SLR,
}

# The context keys the operator's real requests carry when run as README.md says
# (with --role-permissions-boundary, tagging what it creates, passing managed roles
# to ECS tasks, registering ECS scalable targets).
OPERATOR_CONTEXT = {
    "iam:PermissionsBoundary": BOUNDARY_ARN,
    "iam:PassedToService": "ecs-tasks.amazonaws.com",
    "iam:AWSServiceName": "ecs.application-autoscaling.amazonaws.com",
    "aws:RequestTag/ecs.fargate.dev/owner": "shop.web-api",
    "aws:RequestTag/ecs.fargate.dev/uid": "5d0f3c2e-7c1b-4a8e-9f2d-3b4c5d6e7f80",
    "aws:ResourceTag/ecs.fargate.dev/owner": "shop.web-api",
    "aws:ResourceTag/ecs.fargate.dev/uid": "5d0f3c2e-7c1b-4a8e-9f2d-3b4c5d6e7f80",
}

# Clusters are shared by the services that name them, so CreateCluster names no owner:
# it carries the FargateService's spec.tags plus ecs.fargate.dev/managed-by (see
# MANAGED_BY_TAG in src/plan/service.rs), and no uid/owner tag.
CLUSTER_CREATE_CONTEXT = {
    "aws:RequestTag/ecs.fargate.dev/managed-by": "fargate-operator",
    "aws:RequestTag/team": "shop",
}

# UpdateClusterSettings (spec.cluster.containerInsights) changes only a cluster the
# operator created: one carrying its managed-by tag.
CLUSTER_UPDATE_CONTEXT = {
    "aws:ResourceTag/ecs.fargate.dev/managed-by": "fargate-operator",
}

# Called actions whose requests carry a different context than OPERATOR_CONTEXT.
# UpdateCluster (a cluster's default Service Connect namespace) only on clusters the operator
# created, which carry ecs.fargate.dev/managed-by.
CLUSTER_UPDATE_CONTEXT = {
    "aws:ResourceTag/ecs.fargate.dev/managed-by": "fargate-operator",
}

CONTEXT_BY_ACTION = {
    "ecs:CreateCluster": CLUSTER_CREATE_CONTEXT,
    "ecs:UpdateClusterSettings": CLUSTER_UPDATE_CONTEXT,
    "ecs:UpdateCluster": CLUSTER_UPDATE_CONTEXT,
}

# Permissions AWS checks on top of the called action (listed in README.md too).
IMPLIED = {
    # Tags on create need the tagging action as well.
    "ecs:CreateService": ["ecs:TagResource"],
    # Tags on create; the task definition's roles are passed to ECS tasks.
    "ecs:RunTask": ["ecs:TagResource", "iam:PassRole"],
    "ecs:CreateCluster": ["ecs:TagResource", "iam:CreateServiceLinkedRole"],
    # Tags on create, and the execution/task roles are passed to ECS.
    "ecs:RegisterTaskDefinition": ["ecs:TagResource", "iam:PassRole"],
    "iam:CreateRole": ["iam:TagRole"],
    "logs:CreateLogGroup": ["logs:TagResource"],
    # Target tracking creates/deletes CloudWatch alarms as the caller.
    "application-autoscaling:PutScalingPolicy": ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms"],
    "application-autoscaling:DeleteScalingPolicy": ["cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms"],
    # First registration creates AWSServiceRoleForApplicationAutoScaling_ECSService;
    # the ECS docs also list ecs:DescribeServices/UpdateService for service auto scaling.
    # A schedule names the managed scheduler role EventBridge Scheduler assumes.
    "scheduler:CreateSchedule": ["iam:PassRole"],
    "scheduler:UpdateSchedule": ["iam:PassRole"],
    "application-autoscaling:RegisterScalableTarget": [
        "iam:CreateServiceLinkedRole",
        "ecs:DescribeServices",
        "ecs:UpdateService",
    ],
}
# Context differences for particular (called action, implied action) pairs.
IMPLIED_CONTEXT = {
    ("ecs:CreateCluster", "iam:CreateServiceLinkedRole"): {"iam:AWSServiceName": "ecs.amazonaws.com"},
    ("scheduler:CreateSchedule", "iam:PassRole"): {"iam:PassedToService": "scheduler.amazonaws.com"},
    ("scheduler:UpdateSchedule", "iam:PassRole"): {"iam:PassedToService": "scheduler.amazonaws.com"},
}
IMPLIED_RESOURCE = {
    ("ecs:CreateCluster", "iam:CreateServiceLinkedRole"): ECS_SLR,
    ("ecs:CreateCluster", "ecs:TagResource"): ECS_CLUSTER,
    ("ecs:RegisterTaskDefinition", "ecs:TagResource"): ECS_TASK_DEFINITION,
    ("scheduler:CreateSchedule", "iam:PassRole"): SCHEDULER_ROLE,
    ("scheduler:UpdateSchedule", "iam:PassRole"): SCHEDULER_ROLE,
}

# Called by the code but deliberately not allowed, with the reason.
DELIBERATELY_DENIED = {
    "iam:DeleteRolePermissionsBoundary": (
        "the operator only plans this when run without --role-permissions-boundary, "
        "which this policy does not support; the boundary must never be removable"
    ),
}

# Granted although neither called nor implied, with the reason.
EXTRA_GRANTS = {
    "iam:UntagRole": "pairs with iam:TagRole for role tag maintenance; scoped to /fargate-operator/ roles",
    "sts:AssumeRole": (
        "the SDK's credentials provider assumes a FargateTenant's aws.roleArn (no op-table row: "
        "not a call the operator makes itself); scoped to roles named fargate-operator-tenant*"
    ),
}


def context_for(action):
    return CONTEXT_BY_ACTION.get(action, OPERATOR_CONTEXT)


def sample_resource(action):
    if action in SAMPLE_RESOURCE_BY_ACTION:
        return SAMPLE_RESOURCE_BY_ACTION[action]
    return SAMPLE_RESOURCE_BY_SERVICE[action.split(":", 1)[0]]


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# ----------------------------------------------------------------- the tests


class EvaluatorTest(unittest.TestCase):
    """The evaluator itself, so the policy tests mean something."""

    def policy(self, *statements):
        return {"Version": "2012-10-17", "Statement": list(statements)}

    def test_globs(self):
        self.assertTrue(glob_match("ecs:Describe*", "ECS:describeservices", ignore_case=True))
        self.assertFalse(glob_match("ecs:Describe*", "ecs:ListTasks", ignore_case=True))
        self.assertTrue(glob_match("arn:aws:iam::*:role/fargate-operator/*", MANAGED_ROLE, ignore_case=False))
        self.assertFalse(glob_match("arn:aws:iam::*:role/fargate-operator/*",
                                    f"arn:aws:iam::{ACCOUNT}:role/Fargate-Operator/x", ignore_case=False))
        self.assertTrue(glob_match("a?c", "abc", ignore_case=False))
        self.assertFalse(glob_match("a?c", "abbc", ignore_case=False))
        self.assertFalse(glob_match("a[b]c", "abc", ignore_case=False))  # no character classes in IAM

    def test_explicit_deny_beats_allow_and_default_is_implicit_deny(self):
        p = self.policy(
            {"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Sid": "D", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"},
        )
        self.assertEqual(evaluate(p, "s3:GetObject", "arn:aws:s3:::b/k", {}), ALLOW)
        self.assertEqual(evaluate(p, "s3:DeleteBucket", "arn:aws:s3:::b", {}), EXPLICIT_DENY)
        self.assertEqual(evaluate(p, "sqs:SendMessage", "*", {}), IMPLICIT_DENY)

    def test_conditions(self):
        p = self.policy({
            "Sid": "C", "Effect": "Allow", "Action": "x:Y", "Resource": "*",
            "Condition": {
                "StringEquals": {"k:Eq": ["a", "b"]},
                "StringLike": {"k:Like": "pre-*"},
                "Null": {"k:Present": "false", "k:Absent": "true"},
            },
        })
        good = {"k:eq": "b", "k:Like": "pre-x", "K:PRESENT": "anything"}
        self.assertEqual(evaluate(p, "x:Y", "r", good), ALLOW)
        for key, value in [("k:eq", "c"), ("k:Like", "post-x"), ("k:Absent", "set")]:
            with self.subTest(key=key):
                self.assertEqual(evaluate(p, "x:Y", "r", {**good, key: value}), IMPLICIT_DENY)
        for missing in ["k:eq", "k:Like", "K:PRESENT"]:
            with self.subTest(missing=missing):
                ctx = dict(good)
                del ctx[missing]
                self.assertEqual(evaluate(p, "x:Y", "r", ctx), IMPLICIT_DENY)

    def test_unsupported_elements_raise(self):
        cases = [
            {"Sid": "N", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
            {"Sid": "N", "Effect": "Allow", "Action": "iam:*", "NotResource": "*"},
            {"Sid": "O", "Effect": "Allow", "Action": "x:Y", "Resource": "*",
             "Condition": {"StringEqualsIfExists": {"k": "v"}}},
            {"Sid": "O", "Effect": "Allow", "Action": "x:Y", "Resource": "*",
             "Condition": {"ForAnyValue:StringEquals": {"k": "v"}}},
            {"Sid": "E", "Effect": "Maybe", "Action": "x:Y", "Resource": "*"},
        ]
        for stmt in cases:
            with self.subTest(stmt=stmt):
                with self.assertRaises(UnsupportedPolicy):
                    evaluate(self.policy(stmt), "x:Y", "r", {"k": "v"})

    def test_action_extraction(self):
        src = '''
            macro_rules! aws_ops { ($x:ident = $s:literal) => {}; }
            aws_ops! {
                calls {
                    // Amazon ECS
                    CreateService = "ecs" Write EcsServiceWrite "create_service";
                    CreateLogGroup = "logs" Write Logs "create_log_group";
                }
                follow_ups {
                    DescribeTasks = "ecs" Read EcsRead after ListTasks Once;
                }
            }
            const NOT_A_ROW: &str = "iam:DeleteRole";
        '''
        self.assertEqual(actions_called(src), {"ecs:CreateService", "logs:CreateLogGroup", "ecs:DescribeTasks"})
        with self.assertRaises(ValueError):
            actions_called("send(&self.1, AwsOp::CreateService, x.send())")
        with self.assertRaises(ValueError):
            actions_called('aws_ops! {\n    calls {\n        CreateService = ecs Write X "create_service";\n    }\n}\n')
        with self.assertRaises(ValueError):
            actions_called('aws_ops! {\n    calls {\n        CreateService = "not an action" Write X "c";\n    }\n}\n')
        with self.assertRaises(ValueError):
            actions_called('aws_ops! {\n    calls {\n        CreateService = "ecs" Write X "c";\n')


class PolicyFilesTest(unittest.TestCase):
    def test_files_parse_with_sids_and_effects(self):
        for path in (CONTROLLER_POLICY, BOUNDARY_POLICY):
            with self.subTest(path=path.name):
                policy = load(path)
                self.assertEqual(policy.get("Version"), "2012-10-17")
                statements = _statements(policy)
                self.assertTrue(statements)
                sids = [s.get("Sid") for s in statements]
                for stmt in statements:
                    self.assertTrue(re.fullmatch(r"[A-Za-z0-9]+", stmt.get("Sid") or ""),
                                    f"{path.name}: statement without a valid Sid: {stmt}")
                    self.assertIn(stmt["Effect"], ("Allow", "Deny"))
                self.assertEqual(len(sids), len(set(sids)), f"{path.name}: duplicate Sids")


class ControllerPolicyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.policy = load(CONTROLLER_POLICY)
        cls.called = actions_called(OP_TABLE.read_text(encoding="utf-8"))

    def check(self, action, resource, context=None, **extra):
        ctx = dict(OPERATOR_CONTEXT if context is None else context)
        ctx.update(extra)
        return evaluate(self.policy, action, resource, ctx)

    def without(self, *keys):
        return {k: v for k, v in OPERATOR_CONTEXT.items() if k not in keys}

    def test_extraction_sees_the_operators_calls(self):
        # Every service's rows are read; if some stopped being recognised the coverage
        # test below would check too little.
        self.assertGreaterEqual(len(self.called), 30)
        for service in ("ecs", "iam", "logs", "application-autoscaling", "elasticloadbalancing"):
            self.assertTrue(any(a.startswith(service + ":") for a in self.called), service)

    def test_every_called_and_implied_action_is_allowed(self):
        requests = []  # (action, resource, context, why)
        for action in sorted(self.called):
            if action in DELIBERATELY_DENIED:
                continue
            requests.append((action, sample_resource(action), context_for(action), "sent (src/plan/op.rs)"))
            for implied in IMPLIED.get(action, []):
                ctx = {**context_for(action), **IMPLIED_CONTEXT.get((action, implied), {})}
                res = IMPLIED_RESOURCE.get((action, implied), sample_resource(implied))
                requests.append((implied, res, ctx, f"implied by {action}"))
        problems = [
            f"{a} on {r} ({why}): {d}"
            for a, r, ctx, why in requests
            if (d := evaluate(self.policy, a, r, ctx)) != ALLOW
        ]
        if problems:
            self.fail("iam/controller-policy.json does not allow:\n  " + "\n  ".join(problems))

    def test_implied_table_refers_to_called_actions(self):
        stale = sorted(set(IMPLIED) - self.called)
        self.assertEqual(stale, [], f"IMPLIED lists actions src/plan/op.rs no longer names: {stale}")

    def test_deliberately_denied_actions_are_explicitly_denied(self):
        for action, reason in DELIBERATELY_DENIED.items():
            with self.subTest(action=action, reason=reason):
                self.assertIn(action, self.called, f"{action} is no longer called; drop it from DELIBERATELY_DENIED")
                self.assertEqual(self.check(action, MANAGED_ROLE), EXPLICIT_DENY)
                # Explicit: even a broad Allow added later cannot re-enable it.
                broadened = copy.deepcopy(self.policy)
                broadened["Statement"].append({"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"})
                self.assertEqual(evaluate(broadened, action, MANAGED_ROLE, OPERATOR_CONTEXT), EXPLICIT_DENY)

    def test_no_grant_beyond_what_the_code_needs(self):
        needed = self.called | {a for v in IMPLIED.values() for a in v} | set(EXTRA_GRANTS)
        granted = set()
        for stmt in _statements(self.policy):
            if stmt["Effect"] != "Allow":
                continue
            for action in _as_list(stmt["Action"]):
                self.assertNotIn("*", action, f"{stmt['Sid']}: wildcard action {action}")
                self.assertNotIn("?", action, f"{stmt['Sid']}: wildcard action {action}")
                granted.add(action)
        extra = sorted(granted - needed)
        self.assertEqual(extra, [], f"granted but neither called, implied nor in EXTRA_GRANTS: {extra}")

    def test_only_tenant_roles_can_be_assumed(self):
        ok = "arn:aws:iam::111111111111:role/fargate-operator-tenant"
        self.assertEqual(self.check("sts:AssumeRole", ok), ALLOW)
        self.assertEqual(self.check("sts:AssumeRole", ok + "-team-a"), ALLOW)
        for other in ("arn:aws:iam::111111111111:role/admin",
                      "arn:aws:iam::123456789012:role/fargate-operator/shop-web-api-task"):
            with self.subTest(role=other):
                self.assertNotEqual(self.check("sts:AssumeRole", other), ALLOW)

    def test_iam_grants_are_scoped_to_the_operator_path(self):
        for stmt in _statements(self.policy):
            actions = _as_list(stmt["Action"])
            if stmt["Effect"] != "Allow" or not any(a.startswith("iam:") for a in actions):
                continue
            with self.subTest(sid=stmt["Sid"]):
                if actions == ["iam:CreateServiceLinkedRole"]:
                    self.assertIn("iam:AWSServiceName", stmt["Condition"]["StringEquals"])
                else:
                    # The operator's path, or a narrower one under it (the scheduler roles').
                    for resource in _as_list(stmt["Resource"]):
                        self.assertIn(resource, ["arn:aws:iam::*:role/fargate-operator/*",
                                                 "arn:aws:iam::*:role/fargate-operator/scheduler/*"])

    # -- negative cases

    def test_create_role_outside_the_path_is_denied(self):
        for arn in (f"arn:aws:iam::{ACCOUNT}:role/admin",
                    f"arn:aws:iam::{ACCOUNT}:role/other/fgo-x",
                    f"arn:aws:iam::{ACCOUNT}:role/fargate-operator-x/y"):
            with self.subTest(arn=arn):
                self.assertEqual(self.check("iam:CreateRole", arn), IMPLICIT_DENY)
                self.assertEqual(self.check("iam:AttachRolePolicy", arn), IMPLICIT_DENY)
                self.assertEqual(self.check("iam:PutRolePolicy", arn), IMPLICIT_DENY)

    def test_role_writes_without_the_boundary_are_denied(self):
        other = f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess"
        for action in ("iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:AttachRolePolicy",
                       "iam:PutRolePolicy", "iam:DetachRolePolicy", "iam:DeleteRolePolicy"):
            with self.subTest(action=action):
                self.assertEqual(self.check(action, MANAGED_ROLE, self.without("iam:PermissionsBoundary")),
                                 IMPLICIT_DENY)
                self.assertEqual(self.check(action, MANAGED_ROLE, **{"iam:PermissionsBoundary": other}),
                                 IMPLICIT_DENY)

    def test_account_id_placeholder_is_what_gets_replaced(self):
        text = CONTROLLER_POLICY.read_text(encoding="utf-8")
        self.assertEqual(text.count("ACCOUNT_ID"), 1, "ACCOUNT_ID should appear only in the boundary ARN")
        real = json.loads(text.replace("ACCOUNT_ID", ACCOUNT))
        real_boundary = f"arn:aws:iam::{ACCOUNT}:policy/fargate-operator-boundary"
        ctx = {**OPERATOR_CONTEXT, "iam:PermissionsBoundary": real_boundary}
        self.assertEqual(evaluate(real, "iam:CreateRole", MANAGED_ROLE, ctx), ALLOW)
        self.assertEqual(evaluate(real, "iam:CreateRole", MANAGED_ROLE, OPERATOR_CONTEXT), IMPLICIT_DENY)

    def test_pass_role_only_managed_roles_to_ecs_tasks(self):
        self.assertEqual(self.check("iam:PassRole", MANAGED_ROLE), ALLOW)
        self.assertEqual(self.check("iam:PassRole", MANAGED_ROLE, **{"iam:PassedToService": "ec2.amazonaws.com"}),
                         IMPLICIT_DENY)
        self.assertEqual(self.check("iam:PassRole", MANAGED_ROLE, self.without("iam:PassedToService")),
                         IMPLICIT_DENY)
        self.assertEqual(self.check("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/my-task-role"), IMPLICIT_DENY)

    def test_pass_managed_infrastructure_roles_to_ecs_only(self):
        # A FargateService's managed EBS volumes: ecs:CreateService/UpdateService pass its
        # managed infrastructure role to ECS itself (not to tasks); the examples' moto run
        # cannot exercise it (moto keeps no volumeConfigurations), so it is checked here.
        ecs = {"iam:PassedToService": "ecs.amazonaws.com"}
        self.assertEqual(self.check("iam:PassRole", MANAGED_ROLE, **ecs), ALLOW)
        self.assertEqual(self.check("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/ecsInfrastructureRole", **ecs),
                         IMPLICIT_DENY)
        self.assertEqual(self.check("iam:PassRole", MANAGED_ROLE, **{"iam:PassedToService": "ec2.amazonaws.com"}),
                         IMPLICIT_DENY)

    def test_schedules_only_of_the_operators_names(self):
        # EventBridge Scheduler schedules cannot be tagged: the grant is by name prefix in
        # the default group (the operator names every schedule fgo_<namespace>_<name>).
        mine = SAMPLE_RESOURCE_BY_SERVICE["scheduler"]
        for action in ("scheduler:GetSchedule", "scheduler:CreateSchedule", "scheduler:UpdateSchedule",
                       "scheduler:DeleteSchedule"):
            with self.subTest(action=action):
                self.assertEqual(self.check(action, mine), ALLOW)
                for other in (f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/nightly-backup",
                              f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/team-a/fgo_shop_nightly"):
                    self.assertEqual(self.check(action, other), IMPLICIT_DENY)
        for action in ("scheduler:ListSchedules", "scheduler:DeleteScheduleGroup", "scheduler:TagResource"):
            with self.subTest(action=action):
                self.assertEqual(self.check(action, mine), IMPLICIT_DENY)

    def test_pass_managed_scheduler_roles_to_scheduler_only(self):
        to_scheduler = {"iam:PassedToService": "scheduler.amazonaws.com"}
        self.assertEqual(self.check("iam:PassRole", SCHEDULER_ROLE, **to_scheduler), ALLOW)
        # A task's managed role (not under /fargate-operator/scheduler/) never goes to Scheduler.
        self.assertEqual(self.check("iam:PassRole", MANAGED_ROLE, **to_scheduler), IMPLICIT_DENY)
        self.assertEqual(self.check("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/admin", **to_scheduler),
                         IMPLICIT_DENY)

    def test_create_service_needs_the_ownership_tag(self):
        untagged = self.without("aws:RequestTag/ecs.fargate.dev/uid")
        self.assertEqual(self.check("ecs:CreateService", ECS_SERVICE), ALLOW)
        self.assertEqual(self.check("ecs:CreateService", ECS_SERVICE, untagged), IMPLICIT_DENY)
        # The cluster's tag does not stand in for the owner of a service.
        self.assertEqual(self.check("ecs:CreateService", ECS_SERVICE, CLUSTER_CREATE_CONTEXT), IMPLICIT_DENY)

    def test_cluster_settings_change_only_on_clusters_the_operator_created(self):
        self.assertEqual(self.check("ecs:UpdateClusterSettings", ECS_CLUSTER, CLUSTER_UPDATE_CONTEXT), ALLOW)
        # Someone else's cluster (no managed-by tag, or another value): never.
        self.assertEqual(self.check("ecs:UpdateClusterSettings", ECS_CLUSTER, {}), IMPLICIT_DENY)
        self.assertEqual(self.check("ecs:UpdateClusterSettings", ECS_CLUSTER,
                                    {"aws:ResourceTag/ecs.fargate.dev/managed-by": "someone"}), IMPLICIT_DENY)
        self.assertEqual(self.check("ecs:UpdateClusterSettings", ECS_CLUSTER, OPERATOR_CONTEXT), IMPLICIT_DENY)

    def test_create_cluster_needs_the_managed_by_tag(self):
        # What the operator sends: spec.tags + managed-by, no uid (clusters are shared).
        self.assertNotIn("aws:RequestTag/ecs.fargate.dev/uid", CLUSTER_CREATE_CONTEXT)
        self.assertEqual(self.check("ecs:CreateCluster", ECS_CLUSTER, CLUSTER_CREATE_CONTEXT), ALLOW)
        no_managed_by = {k: v for k, v in CLUSTER_CREATE_CONTEXT.items()
                         if k != "aws:RequestTag/ecs.fargate.dev/managed-by"}
        self.assertEqual(self.check("ecs:CreateCluster", ECS_CLUSTER, no_managed_by), IMPLICIT_DENY)
        for other in ("someone-else", "Fargate-Operator", ""):
            with self.subTest(managed_by=other):
                self.assertEqual(
                    self.check("ecs:CreateCluster", ECS_CLUSTER, CLUSTER_CREATE_CONTEXT,
                               **{"aws:RequestTag/ecs.fargate.dev/managed-by": other}),
                    IMPLICIT_DENY)
        # An owner tag alone (the old policy's requirement) does not allow it either.
        self.assertEqual(self.check("ecs:CreateCluster", ECS_CLUSTER, self.without()), IMPLICIT_DENY)

    def test_only_clusters_the_operator_created_can_be_updated(self):
        self.assertEqual(self.check("ecs:UpdateCluster", ECS_CLUSTER, CLUSTER_UPDATE_CONTEXT), ALLOW)
        self.assertEqual(self.check("ecs:UpdateCluster", ECS_CLUSTER, {}), IMPLICIT_DENY)
        self.assertEqual(
            self.check("ecs:UpdateCluster", ECS_CLUSTER, CLUSTER_UPDATE_CONTEXT,
                       **{"aws:ResourceTag/ecs.fargate.dev/managed-by": "someone-else"}),
            IMPLICIT_DENY)
        # A service's ownership tags do not stand in for it.
        self.assertEqual(self.check("ecs:UpdateCluster", ECS_CLUSTER, OPERATOR_CONTEXT), IMPLICIT_DENY)

    def test_untagged_service_cannot_be_updated_or_deleted_until_adopted(self):
        untagged = self.without("aws:ResourceTag/ecs.fargate.dev/uid", "aws:ResourceTag/ecs.fargate.dev/owner")
        self.assertEqual(self.check("ecs:UpdateService", ECS_SERVICE, untagged), IMPLICIT_DENY)
        self.assertEqual(self.check("ecs:DeleteService", ECS_SERVICE, untagged), IMPLICIT_DENY)
        # Adoption: tag it first (allowed on an untagged service), then update.
        self.assertEqual(self.check("ecs:TagResource", ECS_SERVICE, untagged), ALLOW)
        self.assertEqual(self.check("ecs:UpdateService", ECS_SERVICE), ALLOW)

    def test_run_task_needs_the_ownership_tag_and_stop_task_an_owned_task(self):
        task = sample_resource("ecs:StopTask")
        untagged_request = self.without("aws:RequestTag/ecs.fargate.dev/uid")
        self.assertEqual(self.check("ecs:RunTask", ECS_TASK_DEFINITION), ALLOW)
        self.assertEqual(self.check("ecs:RunTask", ECS_TASK_DEFINITION, untagged_request), IMPLICIT_DENY)
        # RunTask is granted on task definitions only.
        self.assertEqual(self.check("ecs:RunTask", ECS_SERVICE), IMPLICIT_DENY)
        untagged_task = self.without("aws:ResourceTag/ecs.fargate.dev/uid", "aws:ResourceTag/ecs.fargate.dev/owner")
        self.assertEqual(self.check("ecs:StopTask", task), ALLOW)
        self.assertEqual(self.check("ecs:StopTask", task, untagged_task), IMPLICIT_DENY)
        self.assertEqual(self.check("ecs:StopTask", ECS_SERVICE), IMPLICIT_DENY)

    def test_service_linked_roles_only_for_ecs_and_ecs_scaling(self):
        self.assertEqual(self.check("iam:CreateServiceLinkedRole", ECS_SLR, **{"iam:AWSServiceName": "ecs.amazonaws.com"}),
                         ALLOW)
        for other in ("elasticloadbalancing.amazonaws.com", "autoscaling.amazonaws.com"):
            with self.subTest(service=other):
                self.assertEqual(self.check("iam:CreateServiceLinkedRole", "*", **{"iam:AWSServiceName": other}),
                                 IMPLICIT_DENY)
        self.assertEqual(self.check("iam:CreateServiceLinkedRole", "*", self.without("iam:AWSServiceName")),
                         IMPLICIT_DENY)

    def test_unrelated_actions_are_denied(self):
        for action, resource in [("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/x"),
                                 ("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/fargate-operator-boundary"),
                                 ("iam:DeletePolicy", f"arn:aws:iam::{ACCOUNT}:policy/fargate-operator-boundary"),
                                 ("ecs:DeleteCluster", ECS_CLUSTER),
                                 ("logs:PutLogEvents", SAMPLE_RESOURCE_BY_SERVICE["logs"]),
                                 ("sts:AssumeRole", MANAGED_ROLE)]:
            with self.subTest(action=action):
                self.assertEqual(self.check(action, resource), IMPLICIT_DENY)

    def test_readme_lists_implied_permissions_and_setup(self):
        text = README.read_text(encoding="utf-8")
        for needle in ["ACCOUNT_ID", "--role-permissions-boundary", "iam:PassRole", "controller-policy.json",
                       "permissions-boundary.json", *DELIBERATELY_DENIED]:
            self.assertIn(needle, text)
        for action in sorted({a for v in IMPLIED.values() for a in v}):
            self.assertIn(action, text, f"README.md should explain implied permission {action}")


class BoundaryPolicyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.policy = load(BOUNDARY_POLICY)

    def test_denies_identity_and_account_administration(self):
        for action, resource in [("iam:CreateRole", "arn:aws:iam::123456789012:role/x"),
                                 ("iam:PassRole", "arn:aws:iam::123456789012:role/admin"),
                                 ("iam:PutRolePolicy", MANAGED_ROLE),
                                 ("IAM:AttachUserPolicy", "arn:aws:iam::123456789012:user/x"),
                                 ("organizations:LeaveOrganization", "*"),
                                 ("account:CloseAccount", "*")]:
            with self.subTest(action=action):
                self.assertEqual(evaluate(self.policy, action, resource, {}), EXPLICIT_DENY)
        denies = [a for s in _statements(self.policy) if s["Effect"] == "Deny" for a in _as_list(s["Action"])]
        self.assertIn("iam:*", denies)

    def test_allows_what_an_execution_role_needs(self):
        for action in ("ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
                       "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents",
                       "secretsmanager:GetSecretValue", "ssm:GetParameters", "kms:Decrypt",
                       # S3 .env files and gMSA credential specs (spec.containers[].environmentFiles,
                       # credentialSpecs): the managed execution role reads the objects.
                       "s3:GetObject", "s3:GetBucketLocation"):
            with self.subTest(action=action):
                self.assertEqual(evaluate(self.policy, action, "arn:aws:x:us-east-1:123456789012:y", {}), ALLOW)

    def test_allows_what_an_ecs_infrastructure_role_needs_for_volumes(self):
        # AmazonECSInfrastructureRolePolicyForVolumes, which a FargateService's managed
        # infrastructure role gets: the boundary must not cut it.
        volume = "arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef0"
        for action, resource in [("ec2:CreateVolume", volume), ("ec2:CreateTags", volume),
                                 ("ec2:AttachVolume", volume), ("ec2:DetachVolume", volume),
                                 ("ec2:DeleteVolume", volume), ("ec2:DescribeVolumes", "*"),
                                 ("ec2:DescribeAvailabilityZones", "*"), ("ec2:DescribeInstances", "*"),
                                 ("ec2:CreateVolume", "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0"),
                                 ("ec2:AttachVolume", "arn:aws:ec2:us-east-1:123456789012:instance/i-0123")]:
            with self.subTest(action=action, resource=resource):
                self.assertEqual(evaluate(self.policy, action, resource, {}), ALLOW)
        # ... and no more than it: no tags on instances, no deleting snapshots.
        for action, resource in [("ec2:CreateTags", "arn:aws:ec2:us-east-1:123456789012:instance/i-0123"),
                                 ("ec2:DeleteVolume", "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0"),
                                 ("ec2:DeleteSnapshot", "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0")]:
            with self.subTest(action=action, resource=resource):
                self.assertEqual(evaluate(self.policy, action, resource, {}), IMPLICIT_DENY)

    def test_allows_exactly_the_s3_files_client_actions_on_file_systems(self):
        # A TaskDefinition's s3files volume: the managed task role gets ClientMount (and
        # ClientWrite) on the file system; ClientRootAccess is the user's to add.
        fs = "arn:aws:s3files:us-east-1:123456789012:file-system/fs-0123456789abcdef0"
        for action in ("s3files:ClientMount", "s3files:ClientWrite", "s3files:ClientRootAccess"):
            with self.subTest(action=action):
                self.assertEqual(evaluate(self.policy, action, fs, {}), ALLOW)
        for action, resource in [("s3files:DeleteFileSystem", fs), ("s3files:CreateAccessPoint", fs),
                                 ("s3files:PutFileSystemPolicy", fs),
                                 ("s3files:ClientMount", "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123")]:
            with self.subTest(action=action, resource=resource):
                self.assertEqual(evaluate(self.policy, action, resource, {}), IMPLICIT_DENY)

    def test_only_scheduler_roles_may_run_tasks_and_pass_roles(self):
        # A scheduled FargateTask's managed scheduler role (path /fargate-operator/scheduler/)
        # runs the task and passes its roles; a task or execution role may do neither, so a
        # user's managed.policy cannot grant itself RunTask with another object's roles.
        scheduler = {"aws:PrincipalArn": SCHEDULER_ROLE}
        task_role = {"aws:PrincipalArn": MANAGED_ROLE}
        task = "arn:aws:ecs:us-east-1:123456789012:task/shop/0123"
        for action, resource, ctx in [("ecs:RunTask", ECS_TASK_DEFINITION, {}),
                                      ("ecs:TagResource", task, {"ecs:CreateAction": "RunTask"}),
                                      ("iam:PassRole", MANAGED_ROLE,
                                       {"iam:PassedToService": "ecs-tasks.amazonaws.com"})]:
            with self.subTest(action=action):
                self.assertEqual(evaluate(self.policy, action, resource, {**scheduler, **ctx}), ALLOW)
                self.assertNotEqual(evaluate(self.policy, action, resource, {**task_role, **ctx}), ALLOW)
        # The ceiling itself carries the conditions the operator's inline policy sets, so a
        # scheduler role's policy cannot be widened past them: roles outside
        # /fargate-operator/ or passed to another service, tags outside RunTask.
        user_role = f"arn:aws:iam::{ACCOUNT}:role/admin"
        for action, resource, ctx in [
                ("iam:PassRole", MANAGED_ROLE, {"iam:PassedToService": "lambda.amazonaws.com"}),
                ("iam:PassRole", MANAGED_ROLE, {}),
                ("iam:PassRole", user_role, {"iam:PassedToService": "ecs-tasks.amazonaws.com"}),
                ("ecs:TagResource", task, {}),
                ("ecs:TagResource", task, {"ecs:CreateAction": "CreateService"}),
                ("ecs:RunTask", "arn:aws:ecs:us-east-1:123456789012:service/shop/web", {})]:
            with self.subTest(action=action, resource=resource, ctx=ctx):
                self.assertNotEqual(evaluate(self.policy, action, resource, {**scheduler, **ctx}), ALLOW)
        # Every other IAM action stays out of a scheduler role's reach.
        for action in ("iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy"):
            with self.subTest(action=action):
                self.assertNotEqual(evaluate(self.policy, action, MANAGED_ROLE, scheduler), ALLOW)

    def test_is_bounded(self):
        for action in ("ecs:CreateService", "ec2:RunInstances", "s3:PutObject", "s3:DeleteBucket", "sts:AssumeRole"):
            with self.subTest(action=action):
                self.assertEqual(evaluate(self.policy, action, "*", {}), IMPLICIT_DENY)
        for stmt in _statements(self.policy):
            if stmt["Effect"] == "Allow":
                self.assertNotIn("*", _as_list(stmt["Action"]), stmt["Sid"])


if __name__ == "__main__":
    unittest.main()
