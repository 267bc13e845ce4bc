"""The Dockerfile's build stage builds from exactly what .dockerignore lets into the build
context. There is no Docker engine here, so the test does what the engine would: it copies the
files .dockerignore admits into a context directory, replays the build stage's WORKDIR, COPY
and RUN instructions in a scratch "root" directory, and checks the binary the final stage copies
out. Two liberties, for speed: the debug profile instead of --release, and the shared
CARGO_TARGET_DIR (the dependency tree is already built there; only the local crate compiles,
about 45 s on two cores). After a dependency change the first run also builds the dependencies
in `cargo build`'s feature set, which differs from `cargo test`'s (dev-dependencies unify
features), a few minutes once. Syntax this replay does not implement fails the test instead of
being skipped."""

import os
import pathlib
import re
import shlex
import shutil
import subprocess
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]


class Unsupported(Exception):
    """Dockerfile or .dockerignore syntax this replay does not implement."""


def dockerignore_rules(text):
    """[(negated, pattern)] in file order. Supports `*` (every top-level entry) and literal
    paths, each optionally negated with `!`; a pattern covers everything below the path."""
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line[1:].strip() if negated else line
        pattern = os.path.normpath(pattern.lstrip("/"))
        if pattern != "*" and (re.search(r"[*?\[\]\\]", pattern) or pattern.startswith("..")):
            raise Unsupported(f".dockerignore pattern {line!r}")
        rules.append((negated, pattern))
    return rules


def _matches(pattern, path):
    # Docker matches a pattern against the path and each of its parent directories.
    parts = path.split("/")
    for prefix in ("/".join(parts[:i]) for i in range(1, len(parts) + 1)):
        if pattern == "*" and "/" not in prefix or pattern == prefix:
            return True
    return False


def admitted(path, rules):
    """Whether the context path (relative, `/`-separated) is sent: the last match wins."""
    keep = True
    for negated, pattern in rules:
        if _matches(pattern, path):
            keep = negated
    return keep


def build_context(src, dest, rules):
    """Copies the files of `src` that `rules` admit into `dest`; returns their paths."""
    copied = []
    negations = [p for n, p in rules if n]
    for dirpath, dirnames, filenames in os.walk(src):
        rel_dir = os.path.relpath(dirpath, src)
        rel_dir = "" if rel_dir == "." else rel_dir
        # Skip directories nothing below can be admitted from (.git, caches, ...).
        dirnames[:] = [
            d for d in dirnames
            if admitted(f"{rel_dir}/{d}".lstrip("/"), rules)
            or any(p.startswith(f"{rel_dir}/{d}/".lstrip("/")) for p in negations)
        ]
        for f in filenames:
            rel = f"{rel_dir}/{f}".lstrip("/")
            if admitted(rel, rules):
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src / rel, dest / rel)
                copied.append(rel)
    return copied


def dockerfile_instructions(text):
    """[(INSTRUCTION, arguments)], continuation lines joined, comments dropped."""
    out, pending = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        # Docker drops comment and empty lines, also inside a continued instruction.
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = pending + stripped
        pending = ""
        instruction, _, args = full.partition(" ")
        if re.search(r"<<-?[\"']?[A-Za-z_]", args):
            raise Unsupported(f"heredoc: {full!r}")
        out.append((instruction.upper(), args.strip()))
    if pending:
        raise Unsupported("the Dockerfile ends in a line continuation")
    return out


def build_stage(instructions):
    """The instructions of the stage the last stage copies its files from."""
    stages, current = {}, None
    for ins, args in instructions:
        if ins != "FROM" and current is None:
            raise Unsupported(f"{ins} before the first FROM")
        if ins == "FROM":
            m = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", args, re.IGNORECASE)
            if not m:
                raise Unsupported(f"FROM {args}")
            current = m.group(2) or str(len(stages))
            stages[current] = []
        stages[current].append((ins, args))
    final = stages[current]
    sources = {m.group(1) for ins, args in final if ins == "COPY"
               for m in [re.match(r"--from=(\S+)\s", args)] if m}
    if len(sources) != 1:
        raise Unsupported(f"the runtime stage copies from {sources or 'no stage'}")
    (name,) = sources
    base = stages[name][0][1].split()[0]
    if base in stages:
        raise Unsupported(f"the build stage {name} is based on the stage {base}")
    artifacts = [shlex.split(args)[1:-1] for ins, args in final
                 if ins == "COPY" and args.startswith(f"--from={name} ")]
    return stages[name], [a for group in artifacts for a in group]


def target_dir():
    """The Cargo target dir scripts/test.sh uses."""
    return pathlib.Path(os.environ.get("CARGO_TARGET_DIR")
                        or pathlib.Path.home() / ".cache" / "fargate-operator" / "target")


def replay(stage, context, root, target):
    """Runs the build stage with `root` standing for the image's `/`."""
    workdir = root
    env = dict(os.environ, CARGO_TARGET_DIR=str(target), CARGO_TERM_COLOR="never")
    for ins, args in stage:
        if ins == "FROM":
            continue
        if ins == "WORKDIR":
            if not args.startswith("/"):
                raise Unsupported(f"relative WORKDIR {args}")
            workdir = root / args.lstrip("/")
            workdir.mkdir(parents=True, exist_ok=True)
        elif ins == "COPY":
            words = shlex.split(args)
            if any(w.startswith("--") for w in words) or any(c in args for c in "*?[$"):
                raise Unsupported(f"COPY {args}")
            *sources, dest = words
            dest_path = (root / dest.lstrip("/")) if dest.startswith("/") else workdir / dest
            if len(sources) > 1 and not dest.endswith("/"):
                raise Unsupported(f"COPY of several sources to a non-directory: {args}")
            for s in sources:
                path = context / s
                if not path.exists():
                    raise AssertionError(
                        f"COPY {args}: {s} is not in the build context (.dockerignore)")
                if path.is_dir():
                    shutil.copytree(path, dest_path, dirs_exist_ok=True)
                else:
                    target_file = dest_path / s if dest.endswith("/") else dest_path
                    target_file.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target_file)
        elif ins == "RUN":
            command = args
            if command.startswith("["):
                raise Unsupported(f"exec-form RUN {args}")
            # Debug profile, the shared target dir, and `/` mapped to `root`.
            command = command.replace("cargo build --release", "cargo build")
            command = command.replace("target/release/", '"$CARGO_TARGET_DIR/debug/"')
            command = re.sub(r"(?<=\s)/(?=[\w.-])", f"{root}/", command)
            result = subprocess.run(["sh", "-c", command], cwd=workdir, env=env,
                                    capture_output=True, text=True)
            if result.returncode != 0:
                raise AssertionError(f"RUN {args}\nfailed ({result.returncode}):\n"
                                     f"{result.stderr[-6000:]}")
        else:
            raise Unsupported(f"{ins} in the build stage")


class DockerBuildContextTest(unittest.TestCase):
    def test_dockerignore_replay_semantics(self):
        rules = dockerignore_rules("# c\n*\n!Cargo.toml\n!src/\n")
        self.assertTrue(admitted("Cargo.toml", rules))
        self.assertTrue(admitted("src/a/b.rs", rules))
        self.assertFalse(admitted("README.md", rules))
        self.assertFalse(admitted("tests/x.rs", rules))
        self.assertFalse(admitted("srcx/a.rs", rules))
        with self.assertRaises(Unsupported):
            dockerignore_rules("*\n!src/**/*.rs\n")
        with self.assertRaises(Unsupported):
            dockerignore_rules("**/target\n")

    def test_the_build_stage_builds_from_the_admitted_context(self):
        rules = dockerignore_rules((ROOT / ".dockerignore").read_text())
        stage, artifacts = build_stage(dockerfile_instructions((ROOT / "Dockerfile").read_text()))
        self.assertEqual(artifacts, ["/fargate-operator"])
        target = target_dir()
        # A fixed place per target dir: Cargo keys the local crate's artifacts by its path, so
        # a new path each run would pile up copies of them in the target dir.
        scratch = target / "docker-build-replay"
        shutil.rmtree(scratch, ignore_errors=True)
        context, root = scratch / "context", scratch / "root"
        context.mkdir(parents=True)
        root.mkdir()
        copied = build_context(ROOT, context, rules)
        self.assertIn("Cargo.toml", copied)
        self.assertNotIn("README.md", copied)
        self.assertFalse([p for p in copied if p.startswith(".git/")])

        replay(stage, context, root, target)

        binary = root / "fargate-operator"
        self.assertTrue(binary.is_file(), "the build stage leaves /fargate-operator")
        version = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                                 check=True).stdout
        self.assertTrue(version.startswith("fargate-operator "), version)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
