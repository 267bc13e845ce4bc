"""deploy/base builds with kustomize (kubectl's built-in kustomize when kubectl is there, else the
same resources assembled as the kustomization lists them) into valid Kubernetes objects that
match the chart's defaults; the Dockerfile builds a non-root image with no shell."""

import pathlib
import shutil
import subprocess
import unittest

import kubernetes_validate
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy" / "base"
KUBERNETES = "1.37.0"


def build_base():
    """The kustomize output, as a list of objects."""
    kubectl = shutil.which("kubectl")
    if kubectl:
        out = subprocess.run(
            [kubectl, "kustomize", str(BASE)], check=True, capture_output=True, text=True
        ).stdout
        return [d for d in yaml.safe_load_all(out) if d]
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
                    "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
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
        import helm_python as helm

        with helm.Chart.load(ROOT / "charts" / "fargate-operator") as chart:
            rendered = chart.render({}, name="fargate-operator", namespace="fargate-operator")
        chart_docs = [d for p, t in rendered.items() if not p.endswith("NOTES.txt")
                      for d in yaml.safe_load_all(t) if d]
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
