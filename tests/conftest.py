import pytest
from django.db import connection


@pytest.fixture(autouse=True)
def _english_off(settings):
    """Tests run in the default language (Simplified Chinese) unless a test activates another."""
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL; `make test` runs the suite on PostgreSQL too")
