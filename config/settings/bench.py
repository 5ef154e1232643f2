"""The benchmark (`make bench`): production settings on loopback HTTP, with the bare reference views.

Everything the production settings do stays on (DEBUG off, the manifest static storage, secure
cookies, persistent database connections), except what cannot work on plain HTTP over loopback: the
HTTPS redirect and HSTS. The bare reference views (`config.bench_urls`) are routed only here."""

import os

# A fixed, public key: the benchmark database holds generated data only, and the load driver signs
# the same session hash as the server. Never used outside `make bench`.
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-key-not-for-any-real-deployment-0123456789")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/muqeem_bench")

from .production import *

ROOT_URLCONF = "config.bench_urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_PRELOAD = False
SECURE_HSTS_INCLUDE_SUBDOMAINS = False

# Persistent connections: each gunicorn worker keeps its connection open across requests and checks
# it once per request cycle before reuse (a dead connection is replaced, not an error).
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DB_CONN_MAX_AGE", "600"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# One HR system calling at full speed is what the API scenarios measure, not the per-key limit.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_key": "1000000/min"}}

# With REDIS_URL set (as production must be), the benchmark's keys stay apart from anyone else's.
if REDIS_URL:
    CACHES["default"]["KEY_PREFIX"] = "muqeem-bench"

LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}
