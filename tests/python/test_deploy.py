"""deploy/base builds with kustomize (kubectl's built-in kustomize when kubectl is there, else the
same resources assembled as the kustomization lists them) into valid Kubernetes objects that
match the chart's defaults; the three install paths (kustomize, the chart, the Argo CD
Application) pass the permissions boundary iam/controller-policy.json requires, checked by the
operator's own start-up checks; the Dockerfile builds a non-root image with no shell."""

import json
import os
import pathlib
import shutil
import subprocess
import unittest

import kubernetes_validate
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy" / "base"
OVERLAY = ROOT / "deploy" / "example-overlay"
KUBERNETES = "1.37.0"


def kustomize(path):
    """`kubectl kustomize path`, as a list of objects; None without kubectl."""
    kubectl = shutil.which("kubectl")
    if not kubectl:
        return None
    out = subprocess.run(
        [kubectl, "kustomize", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def build_base():
    """The kustomize output, as a list of objects."""
    built = kustomize(BASE)
    if built is not None:
        return built
    # Without kubectl: what this kustomization does (resources, namespace, labels, images).
    k = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    assert set(k) <= {"apiVersion", "kind", "namespace", "labels", "resources", "images"}, set(k)
    docs = []
    for r in k["resources"]:
        docs.extend(d for d in yaml.safe_load_all((BASE / r).read_text()) if d)
    for d in docs:
        if d["kind"] not in ("Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"):
            d["metadata"]["namespace"] = k["namespace"]
        for subject in d.get("subjects", []):
            subject["namespace"] = k["namespace"]
        for pairs in k.get("labels", []):
            d["metadata"].setdefault("labels", {}).update(pairs["pairs"])
        if d["kind"] == "Deployment":
            for c in d["spec"]["template"]["spec"]["containers"]:
                for image in k.get("images", []):
                    if c["image"].split(":")[0] == image["name"]:
                        c["image"] = f'{image["name"]}:{image["newTag"]}'
    return docs


def merge(target, patch):
    """A strategic merge patch as kustomize applies these: maps merge, lists of named items
    merge by name, anything else is replaced."""
    for key, value in patch.items():
        old = target.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            merge(old, value)
        elif (isinstance(value, list) and isinstance(old, list)
              and all(isinstance(i, dict) and "name" in i for i in value + old)):
            for item in value:
                same = next((o for o in old if o["name"] == item["name"]), None)
                if same is None:
                    old.append(item)
                else:
                    merge(same, item)
        else:
            target[key] = value


def build_overlay():
    """deploy/example-overlay built, as a list of objects."""
    built = kustomize(OVERLAY)
    if built is not None:
        return built
    # Without kubectl: what this overlay does (the base, then its strategic merge patches).
    k = yaml.safe_load((OVERLAY / "kustomization.yaml").read_text())
    assert set(k) == {"apiVersion", "kind", "resources", "patches"}, set(k)
    assert k["resources"] == ["../base"], k["resources"]
    docs = build_base()
    for p in k["patches"]:
        assert set(p) == {"patch"}, p
        patch = yaml.safe_load(p["patch"])
        target = next(d for d in docs if d["kind"] == patch["kind"]
                      and d["metadata"]["name"] == patch["metadata"]["name"])
        merge(target, patch)
    return docs


def render_chart(values):
    """The chart rendered with `values` (Helm's own engine), as a list of objects."""
    import helm_python as helm

    with helm.Chart.load(ROOT / "charts" / "fargate-operator") as chart:
        rendered = chart.render(values, name="fargate-operator", namespace="fargate-operator")
    return [d for p, t in rendered.items() if not p.endswith("NOTES.txt")
            for d in yaml.safe_load_all(t) if d]


def operator_env(docs):
    """The operator container's environment: the literal values (not fieldRefs)."""
    deploy = next(d for d in docs if d["kind"] == "Deployment")
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e["value"] for e in container["env"] if "value" in e}


BOUNDARY_ENV = "FARGATE_OPERATOR_ROLE_PERMISSIONS_BOUNDARY"
PLACEHOLDER = "ACCOUNT_ID"


def policy_boundary(account=None):
    """The boundary iam/controller-policy.json requires on role writes (its ACCOUNT_ID
    replaced by `account`, as iam/README.md tells), checked to be the only one."""
    policy = json.loads((ROOT / "iam" / "controller-policy.json").read_text())
    found = {s["Condition"]["StringEquals"]["iam:PermissionsBoundary"]
             for s in policy["Statement"]
             if "iam:PermissionsBoundary" in s.get("Condition", {}).get("StringEquals", {})}
    assert len(found) == 1, found
    arn = found.pop()
    return arn if account is None else arn.replace(PLACEHOLDER, account)


def operator_binary():
    if os.environ.get("FGO_BIN"):
        return pathlib.Path(os.environ["FGO_BIN"])
    target = os.environ.get("CARGO_TARGET_DIR") or str(
        pathlib.Path.home() / ".cache" / "fargate-operator" / "target")
    return pathlib.Path(target) / "debug" / "fargate-operator"


def operator_checks(env):
    """Runs the operator's start-up checks on a rendered environment: `plan` reads the same
    settings as `run` (region, image tag policy, policy allowlist, boundary, inline policies)
    and checks them the same way, before anything else, with no cluster or AWS needed.
    Returns (exit code, stderr, the boundaries its plan puts on the examples' new roles)."""
    binary = operator_binary()
    if not binary.is_file() or not os.access(binary, os.X_OK):
        raise AssertionError(
            f"the fargate-operator binary is not at {binary}: build it first "
            "(`cargo build --locked`, with the same CARGO_TARGET_DIR) or point FGO_BIN at it")
    out = subprocess.run(
        [str(binary), "plan", "-f", str(ROOT / "examples" / "web-api.yaml"), "-o", "json"],
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True, text=True, timeout=120,
    )
    boundaries = set()
    if out.returncode == 0:
        for plan in json.loads(out.stdout):
            for action in plan.get("plan", {}).get("actions", []):
                if action["type"] == "createRole":
                    boundaries.add(action["permissionsBoundary"])
    return out.returncode, out.stderr, boundaries


class InstallPathsPassTheBoundaryTest(unittest.TestCase):
    """Every role the operator creates needs the boundary iam/controller-policy.json names.
    Each install path passes it: the kustomize base and the chart's default with the policy's
    own ACCOUNT_ID placeholder, which the operator refuses to start with; the example overlay
    and the Argo CD Application with an account, which it accepts and puts on every role."""

    def assert_refused(self, env):
        code, stderr, _ = operator_checks(env)
        self.assertEqual(code, 2, stderr)
        self.assertIn(f"replace {PLACEHOLDER} with your 12-digit AWS account ID", stderr)

    def assert_accepted(self, env, account):
        self.assertEqual(env[BOUNDARY_ENV], policy_boundary(account))
        code, stderr, boundaries = operator_checks(env)
        self.assertEqual(code, 0, stderr)
        self.assertEqual(boundaries, {policy_boundary(account)},
                         "every managed role gets the boundary the IAM policy requires")

    def test_the_kustomize_base_passes_the_policys_placeholder_which_the_operator_refuses(self):
        env = operator_env(build_base())
        self.assertEqual(env[BOUNDARY_ENV], policy_boundary())
        self.assert_refused(env)

    def test_the_example_overlay_passes_a_boundary_the_operator_accepts(self):
        docs = build_overlay()
        sa = next(d for d in docs if d["kind"] == "ServiceAccount")
        account = sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].split(":")[4]
        self.assertEqual(account, "123456789012")
        env = operator_env(docs)
        self.assertEqual(env["AWS_REGION"], "eu-west-1")
        self.assert_accepted(env, account)
        for d in docs:
            with self.subTest(kind=d["kind"], name=d["metadata"]["name"]):
                kubernetes_validate.validate(d, KUBERNETES, strict=True)

    def test_the_argocd_application_passes_a_boundary_the_operator_accepts(self):
        apps = [d for d in yaml.safe_load_all((ROOT / "deploy" / "argocd" / "application.yaml")
                                              .read_text()) if d]
        app = next(a for a in apps if a["spec"]["source"].get("path") == "charts/fargate-operator")
        values = app["spec"]["source"]["helm"]["valuesObject"]
        role = values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
        account = role.split(":")[4]
        self.assert_accepted(operator_env(render_chart(values)), account)

    def test_the_charts_default_is_the_same_placeholder_and_empty_means_no_boundary(self):
        env = operator_env(render_chart({}))
        self.assertEqual(env[BOUNDARY_ENV], policy_boundary())
        self.assert_refused(env)
        # An explicit "" (an IAM policy of your own that needs no boundary): none is passed.
        env = operator_env(render_chart({"managedRoles": {"permissionsBoundary": ""}}))
        self.assertNotIn(BOUNDARY_ENV, env)
        code, stderr, boundaries = operator_checks(env)
        self.assertEqual((code, boundaries), (0, {None}), stderr)
        # So is an empty environment variable (a kustomize overlay setting "").
        code, stderr, boundaries = operator_checks({**env, BOUNDARY_ENV: ""})
        self.assertEqual((code, boundaries), (0, {None}), stderr)


class KustomizeBaseTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.docs = build_base()

    def of_kind(self, kind):
        return [d for d in self.docs if d["kind"] == kind]

    def test_builds_into_valid_kubernetes_objects(self):
        kinds = sorted(d["kind"] for d in self.docs)
        self.assertEqual(
            kinds,
            sorted(["Namespace", "CustomResourceDefinition", "CustomResourceDefinition",
                    "CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
                    "Deployment", "Service"]),
        )
        for d in self.docs:
            with self.subTest(kind=d["kind"], name=d["metadata"]["name"]):
                kubernetes_validate.validate(d, KUBERNETES, strict=True)

    def test_everything_lands_in_the_operator_namespace(self):
        for d in self.docs:
            if d["kind"] in ("Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"):
                continue
            with self.subTest(kind=d["kind"]):
                self.assertEqual(d["metadata"]["namespace"], "fargate-operator")
        binding = self.of_kind("ClusterRoleBinding")[0]
        self.assertEqual(binding["subjects"][0]["namespace"], "fargate-operator")

    def test_the_crds_are_the_generated_ones(self):
        generated = {yaml.safe_load(p.read_text())["metadata"]["name"]: yaml.safe_load(p.read_text())
                     for p in (ROOT / "crds").glob("*.yaml")}
        for crd in self.of_kind("CustomResourceDefinition"):
            name = crd["metadata"]["name"]
            self.assertEqual(crd["spec"], generated[name]["spec"], name)

    def test_the_deployment_is_the_charts_default(self):
        chart_docs = render_chart({})
        ours = self.of_kind("Deployment")[0]["spec"]["template"]["spec"]
        theirs = next(d for d in chart_docs if d["kind"] == "Deployment")["spec"]["template"]["spec"]
        self.assertEqual(ours["securityContext"], theirs["securityContext"])
        c, t = ours["containers"][0], theirs["containers"][0]
        for key in ("args", "ports", "securityContext", "readinessProbe", "startupProbe", "resources"):
            self.assertEqual(c[key], t[key], key)
        self.assertEqual(c["image"], t["image"], "the image tag follows the chart's appVersion")
        self.assertEqual(c["livenessProbe"]["httpGet"], t["livenessProbe"]["httpGet"])
        ours_env = {e["name"] for e in c["env"]}
        self.assertLessEqual(ours_env, {e["name"] for e in t["env"]})
        self.assertEqual(operator_env(self.docs)[BOUNDARY_ENV], operator_env(chart_docs)[BOUNDARY_ENV])


class DockerfileTest(unittest.TestCase):
    def setUp(self):
        self.lines = [l.strip() for l in (ROOT / "Dockerfile").read_text().splitlines()]
        self.stages = [l for l in self.lines if l.upper().startswith("FROM ")]

    def test_multi_stage_with_a_shell_less_non_root_runtime(self):
        self.assertGreaterEqual(len(self.stages), 2)
        runtime = self.stages[-1]
        self.assertIn("distroless", runtime)
        self.assertTrue(runtime.endswith(":nonroot"), runtime)
        final = self.lines[self.lines.index(runtime):]
        self.assertFalse([l for l in final if l.upper().startswith("RUN ")],
                         "the runtime stage has no shell to RUN with")
        user = [l for l in final if l.upper().startswith("USER ")]
        self.assertEqual(user, ["USER 65532:65532"])
        self.assertTrue(any(l.startswith("ENTRYPOINT [") for l in final), "exec-form entrypoint")

    def test_release_build_from_the_lock_file_only(self):
        builds = [l for l in self.lines if "cargo build" in l]
        self.assertTrue(builds)
        for b in builds:
            self.assertIn("--release", b)
            self.assertIn("--locked", b)
        ignore = (ROOT / ".dockerignore").read_text().splitlines()
        self.assertIn("*", ignore, "the build context is an allowlist")
        self.assertEqual(sorted(l for l in ignore if l.startswith("!")),
                         ["!.cargo/", "!Cargo.lock", "!Cargo.toml", "!benches/", "!src/"])
        # jemalloc's defaults (.cargo/config.toml) are in the image's build too.
        self.assertIn("COPY .cargo ./.cargo", self.lines)
        self.assertLess(self.lines.index("COPY .cargo ./.cargo"),
                        next(i for i, l in enumerate(self.lines) if "cargo build" in l))

    def test_the_image_tag_in_the_chart_matches_the_crate_version(self):
        cargo = (ROOT / "Cargo.toml").read_text()
        version = next(l.split('"')[1] for l in cargo.splitlines() if l.startswith("version = "))
        chart = yaml.safe_load((ROOT / "charts" / "fargate-operator" / "Chart.yaml").read_text())
        self.assertEqual(chart["appVersion"], version)


if __name__ == "__main__":
    unittest.main()
