# Sourced by scripts/run.sh: each `make run` is an instance of its own. Unless set already, it
# gets a Redis database (WEB_PORT mod 16), queue and cache prefixes derived from WEB_PORT and,
# on a port other than 8000, its own SQLite files, so two portals on one machine
# (`make run` and `WEB_PORT=9000 SANDBOX_PORT=9100 make run`) never take each other's tasks.
WEB_PORT="${WEB_PORT:-8000}"
SANDBOX_PORT="${SANDBOX_PORT:-8100}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/$((WEB_PORT % 16))}"
export CELERY_QUEUE_PREFIX="${CELERY_QUEUE_PREFIX:-portal-$WEB_PORT}"
export CACHE_KEY_PREFIX="${CACHE_KEY_PREFIX:-portal-$WEB_PORT}"
if [ "$WEB_PORT" != 8000 ]; then
  export DATABASE_URL="${DATABASE_URL:-sqlite:///$PWD/var/portal-$WEB_PORT.sqlite3}"
  export SANDBOX_DB="${SANDBOX_DB:-$PWD/var/sandbox-$SANDBOX_PORT.sqlite3}"
fi
