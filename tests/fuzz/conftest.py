"""Hypothesis profiles of the state-machine fuzzers, and what every fuzzer's world needs.

Two profiles, registered here and read by `harness.machine_settings` (not loaded globally with
`settings.load_profile`, which would change the settings of every other hypothesis test of the session, such
as the schemathesis run in tests/api):

- `fuzz` (the default, for CI): few examples, derandomized, so that every run explores the same sequences and a
  failure is reproducible by running the suite again;
- `fuzz-long` (`HYPOTHESIS_PROFILE=long`): ten times the examples, twice the steps, a fresh random seed per run
  (the failing blob is printed to reproduce it), for a longer local search.

Neither keeps hypothesis's example database (`database=None`): nothing is written into the working tree.
"""

import os

import pytest
from hypothesis import settings

settings.register_profile(
    "fuzz",
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
)
settings.register_profile(
    "fuzz-long",
    deadline=None,
    derandomize=False,
    database=None,
    print_blob=True,
)

LONG = os.environ.get("HYPOTHESIS_PROFILE", "") in ("long", "fuzz-long")


@pytest.fixture
def quick_world(settings, tmp_path):
    """Uploaded files go to a temporary MEDIA_ROOT and passwords hash fast."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
