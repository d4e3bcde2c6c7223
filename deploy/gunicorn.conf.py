"""Gunicorn settings for the portal's web process (`gunicorn -c deploy/gunicorn.conf.py
portal.wsgi`); every value can be changed from the environment.

Gunicorn, not granian: the portal is a plain WSGI Django app whose requests are short and
database-bound, so a pre-fork server of synchronous workers fits it; gunicorn is pure Python
(installs from the lock on any host, no Rust toolchain), has sd_notify for systemd, graceful
reload on SIGHUP and worker recycling, and is what Django's and Celery's deployment guides assume.
Web processes are stateless (sessions in the database, cache in Redis): add workers or hosts.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
# Synchronous workers, one request each; the proxy buffers slow clients. About 2 per core.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "sync" if threads == 1 else "gthread"
# Longest request (a 20 MB upload being checked and encrypted) well below this.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then (bounded memory growth); jitter keeps them from restarting together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# Only the reverse proxy may set X-Forwarded-*; gunicorn ignores them from anyone else.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# Logs go to stderr (journald / the container runtime). Access lines carry the path without
# its query string, the status, the size, the time in ms and the request id the portal set.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    '%(t)s access %(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'
)
proc_name = os.environ.get("GUNICORN_PROC_NAME", "portal-web")
