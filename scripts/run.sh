#!/usr/bin/env bash
# `make run`: the whole portal on this machine, for development and demos.
# Migrates (SQLite in var/ unless DATABASE_URL says otherwise), seeds the demo users, makes sure
# Redis runs, then starts the Telnyx sandbox, a Celery worker, Celery beat and the web server
# with honcho (logs interleaved and prefixed). Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
export WEB_PORT="${WEB_PORT:-8000}"
export SANDBOX_PORT="${SANDBOX_PORT:-8100}"
export DJANGO_DEBUG=true
# Development-only values; a real deployment sets its own (see README).
export TELNYX_API_BASE="${TELNYX_API_BASE:-http://127.0.0.1:$SANDBOX_PORT/v2}"
export SANDBOX_WEBHOOK_URL="${SANDBOX_WEBHOOK_URL:-http://127.0.0.1:$WEB_PORT/webhooks/telnyx}"
export SANDBOX_SIGNING_KEY="${SANDBOX_SIGNING_KEY:-ZGV2LW9ubHktc2FuZGJveC1zaWduaW5nLXNlZWQtMDE=}"
export PYTHONUNBUFFERED=1
source scripts/instance-env.sh  # this instance's own Redis database, queues, cache, SQLite
mkdir -p var

scripts/ensure-services.sh redis

# The portal verifies webhooks with the public half of the sandbox's signing key.
if [ -z "${TELNYX_PUBLIC_KEY:-}" ]; then
  TELNYX_PUBLIC_KEY="$($BIN/python manage.py runsandbox --print-public-key 2>/dev/null | tail -n1)"
fi
export TELNYX_PUBLIC_KEY

$BIN/python manage.py migrate --noinput
$BIN/python manage.py seed_demo

cat <<BANNER

  Numbers Compliance Portal   http://127.0.0.1:$WEB_PORT/
  Telnyx sandbox              http://127.0.0.1:$SANDBOX_PORT/v2
  Redis / queues              $REDIS_URL, queues $CELERY_QUEUE_PREFIX.*
  Demo logins                 alice (staff) / maria (manager), password: ${PORTAL_DEMO_PASSWORD:-demo-password}
  Ctrl-C stops everything.

BANNER

exec $BIN/honcho -f Procfile start
