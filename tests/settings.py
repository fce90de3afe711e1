"""Settings for the test suite: fupin's settings with jobs run at once, a fast
password hasher, plain static storage and a throw-away data directory."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("FUPIN_DATA_DIR", tempfile.mkdtemp(prefix="fupin-test-"))

from fupin.settings import *  # noqa: F403
from fupin.settings import DATA_DIR

TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(DATA_DIR) / "media"
(Path(DATA_DIR) / "static").mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when STATIC_ROOT is missing
DEBUG = False

# Transactional tests with serialized_rollback restore the migrated data (procedure
# types, standards …) but not content types: an earlier transactional test's flush
# recreates those with new ids, and restoring the old ids would collide.
TEST_NON_SERIALIZED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]

# Job progress goes through the default connection in tests: Django's test cases refuse an
# alias a test does not declare (the live server's threads too). tests/test_jobsh_progress.py
# turns the progress connection on and declares it.
FUPIN_JOBS_PROGRESS_CONNECTION = False
