#!/usr/bin/env bash
# CI smoke test of the containers, run from anywhere:  bash scripts/compose-smoke.sh
#
# 1. ../shared/tools/compose-smoke lints the Dockerfile and compose file, builds the image and
#    runs `docker compose up` (the api service only) until /readyz answers 200; --keep-up leaves it.
# 2. Then, against the running container:
#    - two real digit images POSTed to /predict come back as the right digits;
#    - over gRPC (port 8001, from inside the container, where grpcio and tritonclient are): the health
#      check says SERVING and ModelInfer classifies a digit;
#    - a 1.5 MB upload, which the service spills to /tmp, is refused with a 4xx, not a 500
#      (the root filesystem is read-only and /tmp a tmpfs);
#    - every process in the container runs as a non-root user; the root filesystem is read-only;
#    - torch is not in the serving image; the image size is printed.
# 3. The stack is torn down with --down, also on failure or interrupt.
#
# Where ../shared/tools/compose-smoke is absent, it prints SKIP and exits 0.
# Env: COMPOSE_SMOKE (path of the tool), COMPOSE_SMOKE_HOME (its work dir, /var/tmp/compose-smoke).
set -euo pipefail
cd "$(dirname "$0")/.."

TOOL=${COMPOSE_SMOKE:-../shared/tools/compose-smoke}
if [[ ! -f $TOOL ]]; then
  echo "compose-smoke.sh: SKIP - $TOOL not found (no ../shared checkout beside this one); containers not tested"
  exit 0
fi
export COMPOSE_SMOKE_HOME=${COMPOSE_SMOKE_HOME:-/var/tmp/compose-smoke}
URL=http://127.0.0.1:8000
IMAGE=digits-service:latest
STANDIN=localhost/compose-smoke-standin:bookworm-r1
PROJECT=$(basename "$PWD" | tr '[:upper:]' '[:lower:]' | tr -cd 'a-z0-9_-')
DIGITS_DIR=tests/data/realworld
T0=$(date +%s)
SCRATCH=$(mktemp -d)

say() { printf '[compose-smoke.sh +%ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
fail() { say "FAIL: $*"; exit 1; }
teardown() {
  local rc=$?
  trap - EXIT INT TERM
  say "tearing down"
  bash "$TOOL" --project . --down >"$SCRATCH/down.log" 2>&1 || { say "WARN: teardown failed:"; tail -n 20 "$SCRATCH/down.log"; }
  rm -rf "$SCRATCH"
  if ((rc == 0)); then say "OK ($(($(date +%s) - T0))s)"; else say "FAILED with exit $rc ($(($(date +%s) - T0))s)"; fi
  exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# With host networking the container binds 8000 and 8001 on this machine; anything already there would
# answer our checks instead (or keep the container's gRPC server from starting).
for port in 8000 8001; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    fail "something already listens on 127.0.0.1:$port; stop it first (the container uses host networking)"
  fi
done

bash "$TOOL" --project . --url /readyz --keep-up

# The tool's podman, on its storage (its API service has exited; podman itself needs no daemon).
export CONTAINERS_CONF=$COMPOSE_SMOKE_HOME/containers.conf CONTAINERS_STORAGE_CONF=$COMPOSE_SMOKE_HOME/storage.conf
CID=$(podman ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter label=com.docker.compose.service=api)
[[ -n $CID && $CID != *$'\n'* ]] || fail "expected one running api container of project $PROJECT, found: '${CID}'"

say "POST /predict with two real digits (3 and 7)"
curl -sS --fail-with-body --max-time 30 -F "file=@$DIGITS_DIR/stroke-00003.png" -F "file=@$DIGITS_DIR/stroke-00007.png" \
  "$URL/predict" >"$SCRATCH/predict.json" || fail "POST /predict failed: $(cat "$SCRATCH/predict.json")"
DIGITS=$(python3 -c 'import json, sys; print(*(p["digit"] for p in json.load(sys.stdin)["predictions"]))' <"$SCRATCH/predict.json")
[[ $DIGITS == "3 7" ]] || fail "predicted digits '$DIGITS', expected '3 7': $(cat "$SCRATCH/predict.json")"
say "  predicted: $DIGITS"

say "gRPC on 8001: health check and ModelInfer (from inside the container)"
podman exec "$CID" python -c '
import numpy as np, tritonclient.grpc as triton
from grpc_health.v1 import health_pb2 as h, health_pb2_grpc as hg
import grpc
with grpc.insecure_channel("127.0.0.1:8001") as channel:
    status = hg.HealthStub(channel).Check(h.HealthCheckRequest(), timeout=10).status
assert status == h.HealthCheckResponse.SERVING, status
client = triton.InferenceServerClient("127.0.0.1:8001")
x = triton.InferInput("pixels", [1, 28, 28], "FP32")
x.set_data_from_numpy(np.zeros((1, 28, 28), np.float32))
p = client.infer("mnist-lstm", [x]).as_numpy("probabilities")
assert p.shape == (1, 10) and abs(float(p.sum()) - 1) < 1e-4, p
print("SERVING; ModelInfer answered", p.shape)
' >"$SCRATCH/grpc.txt" 2>&1 || fail "gRPC check failed: $(tail -n 5 "$SCRATCH/grpc.txt")"
say "  $(tail -n 1 "$SCRATCH/grpc.txt")"

say "POST /predict with a 1.5 MB non-image (spills to /tmp)"
head -c 1500000 /dev/urandom >"$SCRATCH/noise.png"
CODE=$(curl -sS --max-time 30 -o "$SCRATCH/noise.json" -w '%{http_code}' -F "file=@$SCRATCH/noise.png" "$URL/predict")
[[ $CODE == 4?? ]] || fail "a large non-image got HTTP $CODE, expected 4xx: $(head -c 300 "$SCRATCH/noise.json")"
say "  HTTP $CODE: $(head -c 160 "$SCRATCH/noise.json")"

say "users of the processes in the container"
for hpid in $(podman top "$CID" hpid | tail -n +2); do
  uid=$(awk '/^Uid:/ {print $2}' "/proc/$hpid/status")  # real uid, as the host sees it
  say "  pid $hpid uid $uid: $(tr '\0' ' ' <"/proc/$hpid/cmdline" | cut -c1-80)"
  [[ $uid != 0 ]] || fail "process $hpid in the container runs as root"
done
if podman exec "$CID" sh -c 'touch /app/probe' 2>/dev/null; then fail "the root filesystem is writable"; fi
podman exec "$CID" python -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("torch") is not None)' \
  || fail "torch is installed in the serving image"
say "  non-root, read-only root filesystem, no torch"

SIZE=$(podman image inspect --format '{{.Size}}' "$IMAGE")
BASE=$(podman image inspect --format '{{.Size}}' "$STANDIN" 2>/dev/null || echo 0)
say "image $IMAGE: $((SIZE / 1000000)) MB = stand-in base $((BASE / 1000000)) MB + this project's layers $(((SIZE - BASE) / 1000000)) MB"
