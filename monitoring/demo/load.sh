#!/bin/sh
# Demo traffic for the stack (stack.demo.yml runs it in a curl container): tracks a few
# repositories, then reads them for LOAD_SECONDS at about RATE requests per second, with
# some 404s and unmatched routes so every status shows up on the dashboards. Bounded in
# time and rate; it exits when done (restart_policy: none).
set -eu

API=${API:-http://api:3000}
LOAD_SECONDS=${LOAD_SECONDS:-3600}
PAUSE=${PAUSE:-0.2}
# The first token of the api_tokens secret (one per line or comma-separated).
TOKEN=$(tr ',' '\n' < "${API_TOKENS_FILE:-/run/secrets/api_tokens}" | head -n 1 | tr -d '[:space:]')

call() {
  curl -s -o /dev/null -w '%{http_code}\n' --max-time 5 "$@" || echo "000"
}

for repo in honojs/hono nodejs/node grafana/loki prometheus/prometheus mongodb/mongo; do
  # 201 the first time, 409 once tracked: both are fine.
  call -X POST "$API/repos" -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \
    -d "{\"owner\":\"${repo%/*}\",\"name\":\"${repo#*/}\",\"tags\":[\"demo\"]}" >/dev/null
done

end=$(( $(date +%s) + LOAD_SECONDS ))
requests=0
while [ "$(date +%s)" -lt "$end" ]; do
  call "$API/repos?tag=demo&sort=stars&limit=10" >/dev/null
  call "$API/repos/honojs/hono" >/dev/null
  call "$API/repos/nodejs/node" >/dev/null
  call "$API/repos/nobody/nothing" >/dev/null   # 404
  call "$API/no-such-route" >/dev/null          # path="__unmatched__"
  requests=$((requests + 5))
  sleep "$PAUSE"
done
echo "load: $requests requests in $LOAD_SECONDS s"
