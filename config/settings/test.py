"""Test settings: fast hashing, tasks run in-process, SMS captured in an outbox file per run."""

import tempfile

from .base import *

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
SMS_BACKEND = "file"
SMS_FILE_PATH = Path(tempfile.gettempdir()) / f"muqeem-test-sms-{os.getpid()}.jsonl"
MEDIA_ROOT = Path(tempfile.gettempdir()) / f"muqeem-test-media-{os.getpid()}"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
AXES_ENABLED = True
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Test databases reuse primary keys after a rollback (SQLite), so a cached figure could leak from
# one test into the next: off, except in the tests of the cache itself.
FIGURES_CACHE_SECONDS = 0
REDIS_URL = ""
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
