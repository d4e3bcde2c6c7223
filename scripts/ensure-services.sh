#!/usr/bin/env bash
# Starts Redis (and, for the test suite, PostgreSQL) when installed but not running, and says how
# to install what is missing. Usage: scripts/ensure-services.sh [redis] [postgres]  (default: both)
set -euo pipefail

want=("$@")
[ ${#want[@]} -eq 0 ] && want=(redis postgres)

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return 0; fi
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "Starting PostgreSQL..."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && return 0; sleep 1; done
    echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2
  else
    echo "PostgreSQL is not installed: sudo apt-get install postgresql" >&2
  fi
  exit 1
}

ensure_redis() {
  if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then return 0; fi
  if command -v redis-server >/dev/null; then
    echo "Starting Redis..."
    # Loopback only; noeviction because evicted keys would silently drop Celery messages (P24).
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --protected-mode yes \
      --maxmemory-policy noeviction --save "" --appendonly no \
      --dir /tmp --logfile /tmp/portal-redis.log
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && return 0; sleep 0.5; done
    echo "Redis did not come up on 127.0.0.1:6379 (see /tmp/portal-redis.log)" >&2
  else
    echo "Redis is not installed: sudo apt-get install redis-server   (or: brew install redis)" >&2
  fi
  exit 1
}

for service in "${want[@]}"; do
  case "$service" in
    redis) ensure_redis ;;
    postgres) ensure_postgres ;;
    *) echo "unknown service $service" >&2; exit 2 ;;
  esac
done
