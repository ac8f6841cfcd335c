import pytest

from sciencecity.notifications import subjects

# The demo world of tests/approvals (applications, tasks, the roles that read them) and the API client.
from tests.api.conftest import api  # noqa: F401
from tests.approvals.conftest import (  # noqa: F401  (fixtures re-exported)
    approval_roles,
    fast_passwords,
    frozen_day,
    isolated_media,
    world,
)


@pytest.fixture
def registered_subjects():
    """The subject registry, restored after a test that registers its own model."""
    saved = dict(subjects._subjects)
    yield subjects
    subjects._subjects.clear()
    subjects._subjects.update(saved)
