#!/usr/bin/env bash
# Starts one Celery worker for the given kinds of queue (portal/queues.py), e.g.
#   scripts/worker.sh sync                      # the sync queue only
#   scripts/worker.sh placing:submissions       # several kinds (":" or "," between them)
#   scripts/worker.sh all                       # every queue (make run, small installs)
# Queue names are "$CELERY_QUEUE_PREFIX.<kind>" (default prefix "portal"). Concurrency:
# WORKER_CONCURRENCY (default 2). Used by deploy/systemd/portal-worker@.service.
set -euo pipefail
cd "$(dirname "$0")/.."

kinds="${1:-all}"
name="$kinds"
[ "$kinds" = all ] && kinds="default,placing,submissions,webhooks,sync,email"
prefix="${CELERY_QUEUE_PREFIX:-portal}"
queues=()
IFS=',:' read -ra wanted <<<"$kinds"
for kind in "${wanted[@]}"; do
  case "$kind" in
    default|placing|submissions|webhooks|sync|email) queues+=("$prefix.$kind") ;;
    *) echo "unknown queue kind '$kind' (default, placing, submissions, webhooks, sync, email)" >&2; exit 2 ;;
  esac
done
joined="$(IFS=,; echo "${queues[*]}")"
name="${name//[,:]/+}"
exec "${CELERY_BIN:-.venv/bin/celery}" -A portal worker \
  -Q "$joined" -n "$prefix-$name@%h" \
  --concurrency "${WORKER_CONCURRENCY:-2}" --prefetch-multiplier 1 \
  --without-gossip --without-mingle --loglevel "${LOG_LEVEL:-INFO}" "${@:2}"
