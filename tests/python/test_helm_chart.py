"""The Helm chart, loaded, linted and rendered by Helm v4's own engine (helm-python-sdk), every
rendered object validated against the Kubernetes schemas (kubernetes-validate), in four
variants: defaults, namespaced RBAC, HA with leader election, IRSA + ServiceMonitor."""

import json
import pathlib
import re
import unittest

import helm_python as helm
import kubernetes_validate
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "fargate-operator"
KUBERNETES = "1.37.0"

VARIANTS = {
    "defaults": {},
    "namespaced": {"watchNamespaces": ["shop", "payments"]},
    "ha": {"replicaCount": 3, "podDisruptionBudget": {"enabled": True}},
    "irsa-servicemonitor": {
        "serviceAccount": {
            "annotations": {
                "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/fargate-operator"
            }
        },
        "metrics": {"serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}}},
        "managedRoles": {
            "permissionsBoundary": "arn:aws:iam::123456789012:policy/fargate-operator-boundary",
            "allowedPolicyArns": ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"],
        },
        "aws": {"region": "eu-west-1", "rateLimits": "ecs-service-write=20/2,iam=5/1"},
    },
}

# Kinds that are not part of Kubernetes itself (their CRDs are not installed here).
FOREIGN_KINDS = {"ServiceMonitor"}


def render(values):
    with helm.Chart.load(CHART) as chart:
        out = chart.render(values, name="fgo", namespace="fargate-operator")
    docs = []
    for path, text in sorted(out.items()):
        if path.endswith("NOTES.txt"):
            continue
        docs.extend(d for d in yaml.safe_load_all(text) if d)
    return docs


def only(docs, kind, name=None):
    found = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"{len(found)} {kind} {name or ''}"
    return found[0]


def env_of(docs):
    container = only(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def rules_by_group(rules):
    return {(tuple(r["apiGroups"]), tuple(r["resources"])): sorted(r["verbs"]) for r in rules}


class ChartTest(unittest.TestCase):
    def test_lint_is_clean(self):
        for name, values in VARIANTS.items():
            with self.subTest(variant=name):
                report = helm.lint(CHART, values, strict=True, kube_version=f"v{KUBERNETES}")
                self.assertEqual(report["errors"], [])
                problems = [m for m in report["messages"] if m["severity"] >= 2]
                self.assertEqual(problems, [], problems)

    def test_every_rendered_object_is_valid_kubernetes(self):
        for name, values in VARIANTS.items():
            docs = render(values)
            self.assertGreaterEqual(len(docs), 5)
            for doc in docs:
                with self.subTest(variant=name, kind=doc["kind"], name=doc["metadata"]["name"]):
                    if doc["kind"] in FOREIGN_KINDS:
                        continue
                    kubernetes_validate.validate(doc, KUBERNETES, strict=True)

    def test_the_chart_crds_are_the_generated_ones_and_valid(self):
        with helm.Chart.load(CHART) as chart:
            crds = {pathlib.Path(c["name"]).name: c["data"] for c in chart.crds}
        generated = {p.name: p.read_text() for p in (ROOT / "crds").glob("*.yaml")}
        self.assertEqual(sorted(crds), sorted(generated))
        for name, text in crds.items():
            self.assertEqual(text, generated[name], f"{name} differs from crds/")
            kubernetes_validate.validate(yaml.safe_load(text), KUBERNETES, strict=True)

    def test_defaults_run_one_hardened_replica_cluster_wide(self):
        docs = render({})
        deploy = only(docs, "Deployment")
        pod = deploy["spec"]["template"]["spec"]
        container = pod["containers"][0]
        self.assertEqual(deploy["spec"]["replicas"], 1)
        self.assertEqual(deploy["spec"]["strategy"]["type"], "Recreate")
        self.assertEqual(container["image"], "ghcr.io/fargate-operator/fargate-operator:0.1.0")
        self.assertEqual(container["args"], ["run"])
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        self.assertEqual(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault")
        sc = container["securityContext"]
        self.assertEqual(
            (sc["readOnlyRootFilesystem"], sc["allowPrivilegeEscalation"], sc["capabilities"]["drop"]),
            (True, False, ["ALL"]),
        )
        self.assertEqual(container["livenessProbe"]["httpGet"]["path"], "/healthz")
        self.assertEqual(container["readinessProbe"]["httpGet"]["path"], "/readyz")
        env = env_of(docs)
        self.assertEqual(env["AWS_REGION"], "us-east-1")
        self.assertEqual(env["FARGATE_OPERATOR_LEADER_ELECT"], "false")
        self.assertEqual(env["FARGATE_OPERATOR_METRICS_ADDR"], "0.0.0.0:8080")
        self.assertNotIn("FARGATE_OPERATOR_NAMESPACES", env)
        # The placeholder of iam/controller-policy.json, which the operator refuses to start
        # with (tests/python/test_deploy.py runs it): the install says what to replace.
        self.assertEqual(env["FARGATE_OPERATOR_ROLE_PERMISSIONS_BOUNDARY"],
                         "arn:aws:iam::ACCOUNT_ID:policy/fargate-operator-boundary")
        self.assertEqual([d for d in docs if d["kind"] in ("Role", "RoleBinding")], [])
        rules = rules_by_group(only(docs, "ClusterRole")["rules"])
        self.assertEqual(
            rules[(("ecs.fargate.dev",),
                   ("taskdefinitions/status", "fargateservices/status", "fargatetasks/status"))],
            ["patch"],
        )
        # A FargateTask deletes itself after ttlSecondsAfterFinished; no other kind is deleted.
        self.assertEqual(rules[(("ecs.fargate.dev",), ("fargatetasks",))], ["delete"])
        service = only(docs, "Service")
        self.assertEqual(service["spec"]["ports"][0]["targetPort"], "http-metrics")

    def test_the_install_notes_say_when_the_boundary_still_needs_the_account(self):
        def notes(values):
            with helm.Chart.load(CHART) as chart:
                out = chart.render(values, name="fgo", namespace="fargate-operator")
            return next(t for p, t in out.items() if p.endswith("NOTES.txt"))

        text = notes({})
        self.assertIn("The operator will not start", text)
        self.assertIn("Replace ACCOUNT_ID with your AWS account ID", text)
        text = notes(VARIANTS["irsa-servicemonitor"])
        self.assertNotIn("ACCOUNT_ID", text)
        self.assertNotIn("permissionsBoundary", text)
        self.assertIn("permissionsBoundary is empty",
                      notes({"managedRoles": {"permissionsBoundary": ""}}))

    def test_listed_namespaces_get_a_role_each_and_no_cluster_wide_object_access(self):
        docs = render(VARIANTS["namespaced"])
        roles = [d for d in docs if d["kind"] == "Role"]
        self.assertEqual(sorted(r["metadata"]["namespace"] for r in roles), ["payments", "shop"])
        bindings = [d for d in docs if d["kind"] == "RoleBinding"]
        self.assertEqual(sorted(b["metadata"]["namespace"] for b in bindings), ["payments", "shop"])
        for b in bindings:
            self.assertEqual(b["subjects"][0]["namespace"], "fargate-operator")
        cluster_rules = only(docs, "ClusterRole")["rules"]
        # Cluster-wide: the CRD read, and the tenancy reads (FargateTenants are cluster-scoped;
        # a tenant the operator could not read might govern a watched namespace).
        self.assertEqual(rules_by_group(cluster_rules), {
            (("apiextensions.k8s.io",), ("customresourcedefinitions",)): ["get", "list", "watch"],
            (("ecs.fargate.dev",), ("fargatetenants",)): ["get", "list", "watch"],
            (("ecs.fargate.dev",), ("fargatetenants/status",)): ["patch"],
            (("",), ("namespaces",)): ["get", "list", "watch"],
        })
        self.assertEqual(cluster_rules[0]["resourceNames"],
                         ["taskdefinitions.ecs.fargate.dev", "fargateservices.ecs.fargate.dev",
                          "fargatetasks.ecs.fargate.dev", "fargatetenants.ecs.fargate.dev"])
        self.assertEqual(env_of(docs)["FARGATE_OPERATOR_NAMESPACES"], "shop,payments")

    def test_more_than_one_replica_elects_a_leader(self):
        docs = render(VARIANTS["ha"])
        deploy = only(docs, "Deployment")
        self.assertEqual(deploy["spec"]["replicas"], 3)
        self.assertNotIn("strategy", deploy["spec"], "rolling updates are safe with a Lease")
        self.assertEqual(env_of(docs)["FARGATE_OPERATOR_LEADER_ELECT"], "true")
        lease_role = only(docs, "Role", "fgo-fargate-operator-leader-election")
        self.assertEqual(lease_role["metadata"]["namespace"], "fargate-operator")
        self.assertEqual(lease_role["rules"][0]["resources"], ["leases"])
        self.assertEqual(sorted(lease_role["rules"][0]["verbs"]), ["create", "get", "patch"])
        pdb = only(docs, "PodDisruptionBudget")
        self.assertEqual(pdb["spec"]["minAvailable"], 1)
        self.assertEqual(pdb["spec"]["selector"]["matchLabels"],
                         deploy["spec"]["selector"]["matchLabels"])

    def test_irsa_and_service_monitor(self):
        docs = render(VARIANTS["irsa-servicemonitor"])
        sa = only(docs, "ServiceAccount")
        self.assertEqual(sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
                         "arn:aws:iam::123456789012:role/fargate-operator")
        self.assertEqual(only(docs, "Deployment")["spec"]["template"]["spec"]["serviceAccountName"],
                         sa["metadata"]["name"])
        monitor = only(docs, "ServiceMonitor")
        service = only(docs, "Service")
        self.assertEqual(monitor["metadata"]["labels"]["release"], "prometheus")
        self.assertEqual(monitor["spec"]["endpoints"][0]["port"], service["spec"]["ports"][0]["name"])
        self.assertEqual(monitor["spec"]["selector"]["matchLabels"],
                         {k: v for k, v in service["metadata"]["labels"].items()
                          if k in monitor["spec"]["selector"]["matchLabels"]})
        env = env_of(docs)
        self.assertEqual(env["AWS_REGION"], "eu-west-1")
        self.assertEqual(env["FARGATE_OPERATOR_ROLE_PERMISSIONS_BOUNDARY"],
                         "arn:aws:iam::123456789012:policy/fargate-operator-boundary")
        self.assertEqual(env["FARGATE_OPERATOR_AWS_RATE_LIMITS"], "ecs-service-write=20/2,iam=5/1")
        self.assertEqual(env["FARGATE_OPERATOR_ALLOWED_POLICY_ARNS"],
                         "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")

    def test_every_setting_the_chart_passes_is_one_the_binary_reads(self):
        cli_rs = (ROOT / "src" / "cli.rs").read_text()
        read = set(re.findall(r'env = "([A-Z_]+)"', cli_rs)) | {"AWS_ENDPOINT_URL"}
        for name, values in VARIANTS.items():
            for var in env_of(render(values)):
                with self.subTest(variant=name, var=var):
                    self.assertIn(var, read, f"the chart sets {var}, which `run` does not read")

    def test_the_chart_grants_exactly_the_documented_rbac(self):
        base = [d for d in yaml.safe_load_all((ROOT / "deploy" / "base" / "rbac.yaml").read_text()) if d]
        documented = rules_by_group(only(base, "ClusterRole")["rules"])
        documented_lease = rules_by_group(only(base, "Role")["rules"])
        docs = render(VARIANTS["ha"])
        self.assertEqual(rules_by_group(only(docs, "ClusterRole")["rules"]), documented)
        self.assertEqual(rules_by_group(only(docs, "Role")["rules"]), documented_lease)


class ValuesSchemaTest(unittest.TestCase):
    BAD = {
        "a string for a number": {"replicaCount": "three"},
        "an unknown key": {"replicas": 2},
        "a region that is not one": {"aws": {"region": "Mars"}},
        "an unknown tag policy": {"imageTagPolicy": "sometimes"},
        "a duration without a unit": {"resync": "300"},
        "a boundary that is not a policy ARN": {"managedRoles": {"permissionsBoundary": "admin"}},
        "an invalid namespace name": {"watchNamespaces": ["Shop_Team"]},
    }

    def test_bad_values_are_rejected_naming_the_key(self):
        with helm.Chart.load(CHART) as chart:
            for why, values in self.BAD.items():
                with self.subTest(why):
                    with self.assertRaises(helm.HelmValuesError) as caught:
                        chart.validate_schema(values)
                    key = next(iter(values))
                    self.assertIn(key, str(caught.exception))
                    with self.assertRaises(helm.HelmError):
                        chart.render(values, name="fgo", namespace="fargate-operator")

    def test_every_variant_and_the_defaults_pass(self):
        with helm.Chart.load(CHART) as chart:
            for name, values in VARIANTS.items():
                with self.subTest(variant=name):
                    chart.validate_schema(values)

    def test_the_schema_covers_every_default_value(self):
        schema = json.loads((CHART / "values.schema.json").read_text())
        defaults = yaml.safe_load((CHART / "values.yaml").read_text())
        self.assertEqual(sorted(defaults), sorted(schema["properties"]))


if __name__ == "__main__":
    unittest.main()
