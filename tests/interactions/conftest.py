"""Two enterprises, an ecology reviewer and head, a supervisor, a leader and each enterprise's applicant, on
Tuesday 2026-11-24 (the suite's day)."""

from types import SimpleNamespace

import pytest

from sciencecity.interactions.models import ListItem
from tests.factories import DepartmentFactory, EnterpriseFactory, applicant_of, staff


@pytest.fixture
def register(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.INTERACTION_RECORD_WORKING_DAYS = 3
    ecology = DepartmentFactory(code="ecology", name="科学城生态环境局", name_en="Ecology Bureau")
    housing = DepartmentFactory(code="housing", name="科学城住建局", name_en="Housing Bureau")
    visited = EnterpriseFactory(name="重庆芯片科技有限公司")
    other = EnterpriseFactory(name="重庆材料科技有限公司")
    return SimpleNamespace(
        ecology=ecology,
        housing=housing,
        visited=visited,
        other=other,
        official=staff("department_reviewer", ecology, username="eco-official"),
        colleague=staff("department_reviewer", ecology, username="eco-colleague"),
        head=staff("department_head", ecology, username="eco-head"),
        outsider=staff("department_reviewer", housing, username="housing-official"),
        supervisor=staff("supervisor", username="supervisor"),
        leader=staff("leader", username="leader"),
        enterprise_user=applicant_of(visited, username="visited-applicant"),
        other_user=applicant_of(other, username="other-applicant"),
        visit=ListItem.objects.get(code="enc-visit"),
        policy=ListItem.objects.get(code="enc-policy"),
        gifts=ListItem.objects.get(code="for-gifts"),
    )


from .events_world import events  # noqa: E402, F401 - the service events' zone (tests/interactions/events_world.py)
