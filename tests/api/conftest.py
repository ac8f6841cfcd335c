import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from sciencecity.api.services import create_token


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """Throttle counts live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    """A client of the API for a user: `api(user)` signs in with a fresh Bearer token."""

    def client_for(user=None, *, language: str = "zh-hans"):
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        if user is not None:
            _, secret = create_token(user, "test")
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return client_for


# --- bundled approval: the demo world of tests/approvals (Helper X, tests/api/test_applications.py) ------

from tests.approvals.conftest import (  # noqa: E402, F401  (fixtures re-exported for the API tests)
    approval_roles,
    fast_passwords,
    frozen_day,
    isolated_media,
    world,
)

# --- throttle rates (Helper Y) ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _throttle_rates_from_settings():
    """DRF copies the rates onto `SimpleRateThrottle.THROTTLE_RATES` once; a test that overrides them (the
    throttling test) would otherwise leave its low rates to every later test."""
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    yield
