#!/usr/bin/env bash
# The README's run command: two emulated Microsoft tenants (one signing in with a secret, one
# with a certificate) and moto on loopback, the functions served by `cargo lambda watch` and
# invoked with `cargo lambda invoke`, as after a deployment.
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
python scripts/local_aws.py put-secret audit-log-sync/fabrikam-certificate \
  "$(cat "$state/certificate/cert.pem" "$state/certificate/key.pem")" >/dev/null
echo "certificate and key of the second tenant stored in audit-log-sync/fabrikam-certificate"

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

echo "== The hourly sync, run once by hand (one tenant: the schedule's round sends it {})"
invoke audit-sync '{}'
echo "== And again: nothing new, nothing written twice"
invoke audit-sync '{}'

echo "== A second tenant, signing in with a certificate, added to the registry"
invoke audit-subscription "{\"operation\":\"add_tenant\",\"tenant_id\":\"$SECOND_TENANT_ID\",\"client_id\":\"$SECOND_CLIENT_ID\",\"client_certificate_arn\":\"audit-log-sync/fabrikam-certificate\",\"cloud\":\"gcc\",\"audience\":\"$SECOND_URL\",\"authority\":\"$SECOND_URL\"}"
invoke audit-subscription "{\"operation\":\"start\",\"tenant\":\"$SECOND_TENANT_ID\"}"
invoke audit-subscription '{"operation":"list_tenants"}'
echo "== The hourly round as the state machine runs it: audit-sync {\"tenant\"} for each listed tenant"
for tenant in "$AUDIT_LOGS_TENANT_ID" "$SECOND_TENANT_ID"; do
  invoke audit-sync "{\"tenant\":\"$tenant\"}"
done

# The emulated tenants hold about a day and a half of history: the reports cover the last
# two days (moto answers each of a 30-day report's thousands of Queries slowly).
since=$(date -u -d '2 days ago' +%F)
report() { # event: a table, or with --json the JSON reply
  local flag=--table
  [ "$report_format" = "--json" ] && flag=
  echo
  echo "\$ audit-report ${flag:+$flag }'$1'"
  target/debug/audit-report ${flag:+"$flag"} "$1" 2>/dev/null
}

echo
echo "== Usage since $since (audit-report)"
if [ "$report_format" = "--html" ]; then
  echo "\$ audit-report --html '{\"from\": \"$since\"}' > .local/report.html"
  scripts/report.sh --html "{\"from\": \"$since\"}" 2>/dev/null
else
  for event in "{}" '"view": "environments"' '"view": "agents"' \
    "\"tenant\": \"$SECOND_TENANT_ID\"" '"view": "tenants"'; do
    [ "$event" = "{}" ] && event=""
    report "{\"from\": \"$since\"${event:+, $event}}"
  done
fi
