#!/usr/bin/env bash
# The operator's main job on a bare machine: starts the local AWS emulator (moto, on
# 127.0.0.1 with a free port), applies examples/ to it, applies again to show that nothing
# changes, prints the status, deletes everything, and stops the emulator.
#
# The examples name placeholder subnets and security groups; the demo swaps in the ones the
# emulator created. Against a real account you would run the same commands without
# --endpoint-url, with your own IDs in the manifests.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fargate-operator/target}"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN

venv="$(bash scripts/venv.sh)"
cargo build --quiet --locked
bin="$CARGO_TARGET_DIR/debug/fargate-operator"

work="$(mktemp -d)"
# moto answers the calls it has not implemented (ListServiceDeployments, ...) with a
# traceback on its stderr; the operator reports what it could not read itself, so the
# emulator's own log goes to a file rather than between the operator's lines.
moto_log="${TMPDIR:-/tmp}/fargate-operator-demo-moto.log"
coproc MOTO { exec "$venv/bin/python" scripts/moto_server.py --network 2>"$moto_log"; }
moto_pid=$MOTO_PID
stop() {
  # Closing its stdin stops the emulator.
  exec {MOTO[1]}>&- || true
  wait "$moto_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap stop EXIT
read -r info <&"${MOTO[0]}"
field() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print($1)" "$info"; }
endpoint="$(field 'd["endpoint"]')"
subnet_a="$(field 'd["subnets"][0]')"
subnet_b="$(field 'd["subnets"][1]')"
sg="$(field 'd["securityGroup"]')"
echo "== moto (local AWS) at $endpoint; VPC subnets $subnet_a $subnet_b, security group $sg"
echo "   (its log: $moto_log)"

# moto keeps no volumeConfigurations (managed EBS volumes), so examples with one would never
# converge here: they are left out.
for f in examples/*.yaml; do
  grep -q volumeConfigurations "$f" || cp "$f" "$work/"
done
sed -i "s/subnet-0a1b2c3d4e5f60718/$subnet_a/g; s/subnet-0b2c3d4e5f6071829/$subnet_b/g; s/sg-0123456789abcdef0/$sg/g" "$work"/*.yaml

echo
echo "== fargate-operator apply -f examples/"
"$bin" apply -f "$work" --endpoint-url "$endpoint"
echo
echo "== fargate-operator plan --observe -f examples/   (after apply: nothing to change)"
"$bin" plan --observe -f "$work" --endpoint-url "$endpoint" | tail -n 1
echo
echo "== fargate-operator delete -f examples/"
"$bin" delete -f "$work" --endpoint-url "$endpoint"
