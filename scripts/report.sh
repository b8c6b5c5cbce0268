#!/usr/bin/env bash
# The usage report of whatever table AUDIT_LOGS_TABLE names (moto's, with the local stack up):
#   scripts/report.sh [--json] ['{"from": "2026-11-01", "to": "2026-11-30"}']
set -euo pipefail
cd "$(dirname "$0")/.."
format=--table
if [ "${1:-}" = "--json" ]; then format=; shift; fi
if [ -f .local/stack.env ] && [ -z "${AWS_ENDPOINT_URL:-}" ]; then
  set -a; source .local/stack.env; set +a
fi
exec target/debug/audit-report $format "${1:-{\}}"
