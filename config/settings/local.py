"""Development and demo: runserver, the file SMS outbox, debug pages."""

from .base import *

DEBUG = env_bool("DJANGO_DEBUG", True)
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
