#!/usr/bin/env bash
# Creates (or reuses) the Python virtualenv the tests use, from the pinned
# scripts/requirements.txt, and prints its path. The venv lives outside the clone, keyed by
# the requirements file's hash, so CI reuses it and a changed pin makes a fresh one.
#   FGO_VENV=/path  use that venv instead (it must already have the requirements).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
req="$here/requirements.txt"
if [[ -n "${FGO_VENV:-}" ]]; then
  echo "$FGO_VENV"
  exit 0
fi
hash="$(sha256sum "$req" | cut -c1-16)"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/fargate-operator/venv-$hash"
if [[ ! -f "$venv/.complete" ]]; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
  touch "$venv/.complete"
fi
echo "$venv"
