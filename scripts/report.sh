#!/usr/bin/env bash
# The usage report of whatever table AUDIT_LOGS_TABLE names (moto's, with the local stack up):
#   scripts/report.sh [--json | --html] ['{"from": "2026-11-01", "to": "2026-11-30"}']
# --html writes the dashboard page to $REPORT_HTML (default .local/report.html).
set -euo pipefail
cd "$(dirname "$0")/.."
format=--table
case "${1:-}" in
  --json) format=; shift ;;
  --html) format=--html; shift ;;
esac
if [ -f .local/stack.env ] && [ -z "${AWS_ENDPOINT_URL:-}" ]; then
  set -a; source .local/stack.env; set +a
fi
if [ "$format" != --html ]; then
  exec target/debug/audit-report $format "${1:-{\}}"
fi
out=${REPORT_HTML:-.local/report.html}
mkdir -p "$(dirname "$out")"
# On failure the binary prints its error as JSON on stdout: show it rather than save it as the page.
if ! target/debug/audit-report --html "${1:-{\}}" >"$out.tmp"; then
  cat "$out.tmp" >&2
  rm -f "$out.tmp"
  exit 1
fi
mv "$out.tmp" "$out"
echo "dashboard written to $out ($(wc -c <"$out") bytes); open it in any browser, it needs no network"
