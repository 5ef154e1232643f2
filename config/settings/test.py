"""Test settings: fast hashing, tasks run in-process, SMS captured in an outbox file per run."""

import tempfile

from .base import *

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# The read replica as a test mirror of default (no second database is created; its connection sees
# what default has committed). Reports read default here, as without a replica; the replica's tests
# turn the routing on with override_settings(REPORTS_DATABASE="replica").
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
REPORTS_DATABASE = "default"
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
