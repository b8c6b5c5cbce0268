#!/usr/bin/env bash
# Starts or stops the local stack: moto's server (DynamoDB, Secrets Manager) and two emulated
# Microsoft tenants (Entra token endpoint + Management Activity API), all on loopback. The
# first signs in with a client secret; the second trusts only a certificate made here.
#   scripts/stack.sh up     -> starts both, writes .local/stack.env for the functions
#   scripts/stack.sh down   -> stops both
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
state="$root/.local"
mkdir -p "$state"
moto_port=${MOTO_PORT:-5055}
emulator_port=${EMULATOR_PORT:-5056}
second_port=${SECOND_EMULATOR_PORT:-5057}
seed=${EMULATOR_SEED:-42}
# A second tenant (Fabrikam): another Directory ID, app and generated history.
second_tenant=3c9a5e1f-8b2d-4f47-a6e3-5d1c0b9f8e72
second_client=9e4b2d71-3f6a-4c85-b1d0-7a2e5c8f3b64

wait_port() { # port name pidfile
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    if ! kill -0 "$(cat "$3")" 2>/dev/null; then echo "$2 exited; see $state/$2.log" >&2; exit 1; fi
    sleep 0.1
  done
  echo "$2 did not listen on port $1; see $state/$2.log" >&2
  exit 1
}

stop_one() { # name
  local pidfile="$state/$1.pid"
  if [ -f "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  fi
}

case "${1:-}" in
  up)
    "$0" down
    .venv/bin/moto_server -H 127.0.0.1 -p "$moto_port" >"$state/moto.log" 2>&1 &
    echo $! >"$state/moto.pid"
    target/debug/o365-emulator --port "$emulator_port" --seed "$seed" ${EMULATOR_ARGS:-} \
      >"$state/emulator.json" 2>"$state/emulator.log" &
    echo $! >"$state/emulator.pid"
    target/debug/o365-emulator --make-certificate "$state/certificate" >/dev/null
    target/debug/o365-emulator --port "$second_port" --seed $((seed + 1)) \
      --tenant-id "$second_tenant" --client-id "$second_client" \
      --client-certificate "$state/certificate/cert.pem" --apps 8 --users 12 \
      >"$state/second.json" 2>"$state/second.log" &
    echo $! >"$state/second.pid"
    wait_port "$moto_port" moto "$state/moto.pid"
    wait_port "$emulator_port" emulator "$state/emulator.pid"
    wait_port "$second_port" second "$state/second.pid"
    # The emulator prints its tenant's identity as one JSON line once it listens.
    for _ in $(seq 1 100); do [ -s "$state/emulator.json" ] && break; sleep 0.1; done
    for _ in $(seq 1 100); do [ -s "$state/second.json" ] && break; sleep 0.1; done
    .venv/bin/python - "$state/emulator.json" "$moto_port" "$state/second.json" >"$state/stack.env" <<'PY'
import json, sys
info = json.loads(open(sys.argv[1]).readline())
moto = f"http://127.0.0.1:{sys.argv[2]}"
second = json.loads(open(sys.argv[3]).readline())
env = {
    "AWS_ENDPOINT_URL": moto,
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AUDIT_LOGS_TENANT_ID": info["tenant_id"],
    "AUDIT_LOGS_CLIENT_ID": info["client_id"],
    "AUDIT_LOGS_AUDIENCE": info["base_url"],
    "AUDIT_LOGS_AUTHORITY": info["base_url"],
    "AUDIT_LOGS_CLIENT_SECRET_ARN": "audit-log-sync/client-secret",
    "EMULATOR_URL": info["base_url"],
    "EMULATOR_CLIENT_SECRET": info["client_secret"],
    "SECOND_TENANT_ID": second["tenant_id"],
    "SECOND_CLIENT_ID": second["client_id"],
    "SECOND_URL": second["base_url"],
}
for k, v in env.items():
    print(f"{k}={v}")
PY
    echo "local stack up: moto on 127.0.0.1:$moto_port, emulated tenants on 127.0.0.1:$emulator_port and :$second_port (env in .local/stack.env)"
    ;;
  down)
    stop_one second
    stop_one emulator
    stop_one moto
    ;;
  *)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
