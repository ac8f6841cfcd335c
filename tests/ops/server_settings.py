"""The platform's settings for a server the tests start in a subprocess with DEBUG off (so that the error
handlers answer, as in production), serving static files from the source tree instead of `collectstatic`'s
hashed copies (which take half a minute to build and change nothing these tests look at)."""

from sciencecity.settings import *  # noqa: F403
from sciencecity.settings import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
