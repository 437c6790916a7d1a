#!/usr/bin/env bash
# Runs the async-jobs conformance suite against your server from any CI (or a laptop).
#
#   ASYNC_JOBS_BASE_URL=https://jobs.staging.example.com \
#   ASYNC_JOBS_TOKEN=… [ASYNC_JOBS_OTHER_TOKEN=…] [ASYNC_JOBS_WEBHOOK_SECRET=whsec_…] \
#   CONFORMANCE_REPO=<async-jobs git URL> [CONFORMANCE_REF=main] | CONFORMANCE_DIR=<a checkout> \
#   [CONFORMANCE_ARGS="--timeout-scale 2"] docs/ci/run-conformance.sh
#
# Exit: 0 every MUST holds (and none was skipped: --strict), 1 a MUST failed or was skipped,
# 2 usage, unreachable server or a base URL where every route is 404. Reports land in
# ./conformance-report/ (JUnit for the CI's test tab, HTML to read, JSON to diff).
set -euo pipefail

: "${ASYNC_JOBS_BASE_URL:?set ASYNC_JOBS_BASE_URL to your server (the URL /v1/jobs hangs off)}"
: "${ASYNC_JOBS_TOKEN:?set ASYNC_JOBS_TOKEN to a tenant bearer token}"
# The suite: an existing checkout (CONFORMANCE_DIR), or a clone of CONFORMANCE_REPO at CONFORMANCE_REF.
out="${CONFORMANCE_OUT:-$PWD/conformance-report}"
suite="${CONFORMANCE_DIR:-}"
if [ -z "$suite" ]; then
  : "${CONFORMANCE_REPO:?set CONFORMANCE_REPO to the async-jobs git URL, or CONFORMANCE_DIR to a checkout}"
  suite="$(mktemp -d)/async-jobs"
  git clone --quiet --depth 1 --branch "${CONFORMANCE_REF:-main}" "$CONFORMANCE_REPO" "$suite"
fi
cd "$suite"
# The suite runs from its TypeScript sources: no build, no native modules needed.
[ -d node_modules ] || npm ci --no-audit --no-fund --ignore-scripts >/dev/null
mkdir -p "$out"

args=(--base-url "$ASYNC_JOBS_BASE_URL" --token "$ASYNC_JOBS_TOKEN" --strict)
[ -n "${ASYNC_JOBS_OTHER_TOKEN:-}" ] && args+=(--other-token "$ASYNC_JOBS_OTHER_TOKEN")
[ -n "${ASYNC_JOBS_WEBHOOK_SECRET:-}" ] && args+=(--webhook-secret "$ASYNC_JOBS_WEBHOOK_SECRET")
# A production server refuses webhook URLs on private addresses: check that it does.
[ "${ASYNC_JOBS_PRIVATE_WEBHOOKS:-}" = refused ] && args+=(--private-webhooks refused)
# --strict fails on a skipped MUST; say which checks your server cannot run with --skip.
# shellcheck disable=SC2206
args+=(${CONFORMANCE_ARGS:-})

exec node conformance/bin/async-jobs-conformance.js "${args[@]}" \
  --reporter pretty \
  --reporter junit --out "$out/conformance.xml" \
  --reporter html --out "$out/conformance.html" \
  --reporter json --out "$out/conformance.json"
