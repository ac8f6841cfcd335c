"""The policies' tests share a small zone: a science bureau, three enterprises (one strong in R&D, one weak,
one whose file is blank), an administrator; `published` adds the R&D subsidy in force with its verdicts and the
people of the bureau, of another department and of two of the enterprises. The suite's day is 2026-11-24."""

import datetime
from decimal import Decimal

import pytest
from django_tasks_db.models import DBTaskResult

from sciencecity.enterprises import profile
from sciencecity.policies.services import matching, policies
from tests.factories import DepartmentFactory, EnterpriseFactory, applicant_of, staff

RD_SUBSIDY = [
    {"fact": "is_high_tech", "operator": "==", "value": True},
    {"fact": "rd_intensity", "operator": ">=", "value": 5},
    {"fact": "chain", "operator": "in", "value": ["information", "materials"]},
]


@pytest.fixture
def zone(db, settings, tmp_path):
    # Claims' materials go to a temporary MEDIA_ROOT, not the working tree's media/ (shared by parallel workers).
    settings.MEDIA_ROOT = tmp_path / "media"
    science = DepartmentFactory(code="science", name="科技局")
    strong = EnterpriseFactory(name="强研发企业", is_high_tech=True)
    profile.update_profile(None, strong, chain="materials", employees=100, rd_staff=40)
    profile.set_year(None, strong, 2025, revenue="5000", rd_spending="400")
    weak = EnterpriseFactory(name="弱研发企业", is_high_tech=True)
    profile.update_profile(None, weak, chain="information", employees=50, rd_staff=5)
    profile.set_year(None, weak, 2025, revenue="5000", rd_spending="100")
    blank = EnterpriseFactory(name="资料不全企业", is_high_tech=True)  # no figures, no chain
    return {
        "science": science,
        "strong": strong,
        "weak": weak,
        "blank": blank,
        "admin": staff("administrator"),
    }


def rd_policy(zone, **changes):
    fields = {
        "title": "研发投入补助",
        "area": "innovation",
        "text": "对研发投入强度达到 5% 的高新技术企业给予补助。",
        "beneficiaries": "高新技术企业",
        "requirements": "研发投入强度不低于 5%",
        "amount": Decimal("50"),
        "budget": Decimal("1000"),
        "valid_from": datetime.date(2026, 1, 1),
        "department": zone["science"],
    }
    return policies.save_policy(
        zone["admin"],
        "rd-subsidy",
        conditions=changes.pop("conditions", RD_SUBSIDY),
        publish=True,
        **{**fields, **changes},
    )


def run_refreshes():
    """What the worker would do: run the queued refreshes."""
    for job in DBTaskResult.objects.filter(task_path=matching.refresh_matches.module_path):
        matching.refresh_matches.call(*job.args_kwargs["args"])
        job.delete()


@pytest.fixture
def published(zone, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        policy = rd_policy(zone)
    matching.refresh()
    zone["head"] = staff("department_head", zone["science"])
    zone["reviewer"] = staff("department_reviewer", zone["science"])
    zone["stranger"] = staff("department_head", DepartmentFactory(code="ecology", name="生态环境局"))
    zone["blank_people"] = applicant_of(zone["blank"])
    zone["strong_people"] = applicant_of(zone["strong"])
    return policy
