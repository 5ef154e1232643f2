"""The reliability run (`make reliability`, reliability/run.py): production settings on loopback HTTP.

Everything the production settings do stays on (DEBUG off, persistent connections with health checks,
the rate limits of logins), except what cannot work on plain HTTP over loopback: the HTTPS redirect,
HSTS and secure-only cookies. SMS go to the run's own gateway (`SMS_HTTP_URL`), which it takes down
and slows on purpose."""

import os

# A fixed, public key: the reliability database holds generated data only. Never used elsewhere.
os.environ.setdefault(
    "DJANGO_SECRET_KEY", "reliability-only-key-not-for-any-real-deployment-0123456789"
)
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/muqeem_reliability")

from .production import *

ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_PRELOAD = False
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_COOKIE_SECURE = False

DATABASES["default"]["CONN_MAX_AGE"] = 600
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Fifty clients share six keys: the per-key limit has its own tests; here it would only refuse load.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_key": "1000000/min"}}

if REDIS_URL:
    CACHES["default"]["KEY_PREFIX"] = "muqeem-reliability"

LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}
