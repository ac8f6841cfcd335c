"""The demo world: figures of the seeds, valid identifiers, an account per role, determinism, the command."""

import importlib
import importlib.util
import re
from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.http import HttpRequest
from stdnum.cn import uscc

from sciencecity.accounts.models import User
from sciencecity.accounts.roles import ROLES
from sciencecity.audit.models import AuditEvent
from sciencecity.demo import world
from sciencecity.enterprises.models import Enterprise
from sciencecity.enterprises.validators import validate_credit_code
from sciencecity.projects.models import Project, validate_project_code

pytestmark = pytest.mark.django_db

SEED = 2026
REGIONS = {district[0] for district in world.DISTRICTS}


@dataclass
class Demo:
    first_digest: str  # of a world built with SEED and rolled back
    digest: str  # of the world the command built with SEED, which the tests read
    output: str


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Build the world twice with the same seed (once directly and rolled back, once by the command) and keep
    the second for the module's tests; everything is rolled back afterwards."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with transaction.atomic():
                first = world.build_world(SEED)
                transaction.set_rollback(True)
            assert not Project.objects.exists()
            out = StringIO()
            call_command("demo", seed=SEED, stdout=out)
            yield Demo(first_digest=first.digest, digest=world.world_digest(), output=out.getvalue())
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def test_same_seed_same_world(demo):
    assert demo.first_digest == demo.digest
    assert demo.digest[:16] in demo.output


def test_projects_are_the_seed_figures(demo):
    assert Project.objects.count() == 343
    assert Project.objects.filter(is_key=True).count() == 169
    assert set(Project.objects.values_list("phase", flat=True)) == set(Project.Phase.values)
    key = Project.objects.filter(is_key=True)
    assert key.filter(phase=Project.Phase.UNDER_CONSTRUCTION).count() > key.count() / 2
    government = Project.objects.filter(investment_type=Project.InvestmentType.GOVERNMENT).count()
    assert 0.15 < government / 343 < 0.35


def test_enterprises_are_scaled_from_the_seed_figures(demo):
    assert Enterprise.objects.filter(is_tech_based=True).count() == world.TECH_BASED
    assert Enterprise.objects.filter(is_high_tech=True).count() == world.HIGH_TECH
    assert not Enterprise.objects.filter(is_high_tech=True, is_tech_based=False).exists()
    assert Enterprise.objects.count() == world.TECH_BASED + world.OTHER_ENTERPRISES
    assert round(3325 / 8) == world.TECH_BASED and round(702 / 8) == world.HIGH_TECH
    assert Enterprise.objects.values("name").distinct().count() == Enterprise.objects.count()


def test_every_credit_code_is_valid_and_in_the_science_city(demo):
    for code in Enterprise.objects.values_list("credit_code", flat=True):
        validate_credit_code(code)
        assert uscc.is_valid(code) and code[2:8] in REGIONS, code


def test_every_project_code_is_valid(demo):
    for code, investment_type in Project.objects.values_list("code", "investment_type"):
        validate_project_code(code)
        year, region, _industry, project_type, _serial = code.split("-")
        assert region in REGIONS and 2019 <= int(year) <= 2026, code
        if investment_type == Project.InvestmentType.GOVERNMENT:
            assert project_type == "01", code  # 审批
        else:
            assert project_type in ("02", "03"), code  # 核准 / 备案


def test_every_project_and_enterprise_was_registered_through_the_services(demo):
    assert AuditEvent.objects.filter(action="projects.register_project").count() == 343
    assert (
        AuditEvent.objects.filter(action="enterprises.register_enterprise").count()
        == Enterprise.objects.count()
    )


def test_one_account_per_role_and_each_logs_in_with_the_printed_password(demo, client):
    accounts = {}
    for line in demo.output.splitlines():
        cells = [cell.strip() for cell in re.split(r"[│┃]", line) if cell.strip()]
        if len(cells) == 4 and cells[1] == world.DEMO_PASSWORD:
            accounts[cells[0]] = cells[1]
    assert "http://127.0.0.1:8000/" in demo.output
    for code in ROLES:
        users = User.objects.filter(groups__name=code, username__in=accounts)
        assert users.exists(), f"no demo account for role {code}"
    for username, password in accounts.items():
        assert client.login(request=HttpRequest(), username=username, password=password), username
        client.logout()
    assert {
        "admin",
        "applicant",
        "window",
        "reviewer",
        "head",
        "specialist",
        "party",
        "leader",
        "supervisor",
    } <= set(accounts)
    assert "reviewer-planning" in accounts


def test_roles_staff_flags_and_places(demo):
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser and admin.has_role("administrator")
    assert all(user.is_staff for user in User.objects.filter(groups__name="administrator"))
    assert not User.objects.filter(is_staff=True).exclude(groups__name="administrator").exists()
    assert User.objects.get(username="reviewer").department.code == "housing"
    assert User.objects.get(username="head").has_role("department_head")
    assert User.objects.get(username="reviewer-planning").department.code == "planning"


def test_applicant_belongs_to_an_enterprise_with_a_few_projects(demo):
    applicant = User.objects.get(username="applicant")
    assert applicant.enterprise is not None and applicant.has_role("applicant")
    projects = Project.objects.for_user(applicant)
    assert 3 <= projects.count() <= 5
    assert projects.filter(is_key=True).exists()
    assert set(projects.values_list("enterprise", flat=True)) == {applicant.enterprise_id}


def test_running_again_changes_nothing_and_reset_refuses(demo):
    out = StringIO()
    call_command("demo", stdout=out)
    assert "没有做任何更改" in out.getvalue()
    assert "applicant" in out.getvalue()
    assert Project.objects.count() == 343
    with pytest.raises(CommandError, match="db.sqlite3"):
        call_command("demo", reset=True, stdout=StringIO())
    assert world.world_digest() == demo.digest


def test_catalog_is_published_with_both_bundles(demo):
    has_import = importlib.util.find_spec("sciencecity.catalog.services") is not None and hasattr(
        importlib.import_module("sciencecity.catalog.services"), "import_catalog"
    )
    if not has_import or not (world.DATA_DIR / "catalog.yaml").exists():
        pytest.skip("the catalog import or sciencecity/demo/data/catalog.yaml is not there yet")
    from sciencecity.catalog.models import CatalogVersion

    version = CatalogVersion.objects.published().get()
    names = list(version.bundles.values_list("name", flat=True))
    assert any("开工" in name for name in names), names
    assert any("联合验收" in name for name in names), names
