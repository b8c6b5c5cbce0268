#!/usr/bin/env bash
# The README's run command: an emulated Microsoft tenant and moto on loopback, the functions
# served by `cargo lambda watch` and invoked with `cargo lambda invoke`, as after a deployment.
set -euo pipefail
cd "$(dirname "$0")/.."
state=.local
report_format=--table
case "${1:-}" in
  --json | --html) report_format=$1 ;;
esac
port=${LAMBDA_PORT:-9055}

cleanup() {
  [ -n "${watch_pid:-}" ] && kill "$watch_pid" 2>/dev/null || true
  scripts/stack.sh down
}
trap cleanup EXIT

scripts/stack.sh up
set -a; source "$state/stack.env"; set +a

echo
echo "== Storing the app registration's client secret in (moto's) Secrets Manager"
python scripts/local_aws.py put-secret "$AUDIT_LOGS_CLIENT_SECRET_ARN" "$EMULATOR_CLIENT_SECRET" >/dev/null
echo "secret $AUDIT_LOGS_CLIENT_SECRET_ARN stored"

echo
echo "== Creating the DynamoDB tables from infra/template.yaml"
python scripts/tables.py create

echo
echo "== Serving the functions with cargo lambda watch on 127.0.0.1:$port"
cargo lambda watch --quiet --invoke-address 127.0.0.1 --invoke-port "$port" \
  --env-file "$state/stack.env" >"$state/watch.log" 2>&1 &
watch_pid=$!
for _ in $(seq 1 600); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$watch_pid" 2>/dev/null || { cat "$state/watch.log"; exit 1; }
  sleep 0.1
done

invoke() { # function event
  echo
  echo "\$ cargo lambda invoke $1 --data-ascii '$2'"
  cargo lambda invoke "$1" --invoke-address 127.0.0.1 --invoke-port "$port" --data-ascii "$2" \
    --output-format json
  echo
}

invoke audit-subscription '{"operation":"start"}'
invoke audit-subscription '{"operation":"start"}'
invoke audit-subscription '{"operation":"list"}'

echo "== The hourly sync, run once by hand (the schedule sends {})"
invoke audit-sync '{}'
echo "== And again: nothing new, nothing written twice"
invoke audit-sync '{}'

echo "== Usage per app over the last 30 days (audit-report)"
if [ "$report_format" = "--json" ]; then
  invoke audit-report '{}'
  invoke audit-report '{"view": "environments"}'
  invoke audit-report '{"view": "agents"}'
elif [ "$report_format" = "--html" ]; then
  echo "\$ audit-report --html '{}' > .local/report.html"
  scripts/report.sh --html '{}' 2>/dev/null
else
  echo "\$ audit-report --table '{}'"
  target/debug/audit-report --table '{}' 2>/dev/null
  for view in environments agents; do
    echo
    echo "\$ audit-report --table '{\"view\": \"$view\"}'"
    target/debug/audit-report --table "{\"view\": \"$view\"}" 2>/dev/null
  done
fi
