"""Fixtures of bundled approval: the demo departments and catalog, an enterprise with a project and its
applicant, a window clerk, an administrator, and a reviewer and a head for each department (made on first
use), plus helpers that walk an application through the services.

With `world`, uploaded files go to a temporary MEDIA_ROOT, passwords hash fast, and time is frozen on Monday
2026-06-01 10:00 (Beijing) unless a test moves it: the catalog is in force from 2026-01-01 and the calendar
package knows 2026, so no deadline depends on the day the suite runs.
"""

import datetime
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from sciencecity.approvals import selectors
from sciencecity.approvals.models import ReviewTask, SubmittedMaterial
from sciencecity.approvals.services import applications, intake, review
from sciencecity.catalog.models import Bundle, FormField
from sciencecity.catalog.services import import_catalog
from sciencecity.demo.samples import FILLERS, SAMPLES
from tests.factories import DepartmentFactory, EnterpriseFactory, ProjectFactory, UserFactory, applicant_of

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DATA = Path(__file__).resolve().parents[2] / "sciencecity" / "demo" / "data"
START_DAY = datetime.date(2026, 6, 1)  # a Monday, ten working days clear of any holiday

# The approval permissions each role needs for the lifecycle (granted by `accounts.roles.ROLES`).
APPROVAL_PERMISSIONS = {
    "applicant": ["approvals.submit_application", "approvals.view_application"],
    "window_clerk": ["approvals.intake_application", "approvals.deliver_application"],
    "department_reviewer": ["approvals.review_task"],
    "department_head": ["approvals.review_task", "approvals.manage_department_tasks"],
    "administrator": ["approvals.cancel_application"],
}

# Answers that select every situational item of each demo bundle (fire design and EIA included).
START_ALL = {
    "land_with_scheme": "no",
    "new_civil_building": "yes",
    "special_construction": "yes",
    "security_sites": "yes",
    "occupy_road": "yes",
    "site_works": ["waste", "sewage", "earthwork"],
    "eia_category": "report",
    "need_agency": "yes",
}
# The mandatory items only.
START_MINIMAL = {
    "land_with_scheme": "yes",
    "new_civil_building": "no",
    "special_construction": "no",
    "security_sites": "no",
    "occupy_road": "no",
    "site_works": ["none"],
    "eia_category": "exempt",
    "need_agency": "no",
}
JOINT_SPECIAL = {
    "special_construction": "yes",
    "has_civil_defense_works": "yes",
    "utilities": ["power", "water"],
}


def at(time_machine, day: datetime.date, hour: int = 10):
    time_machine.move_to(datetime.datetime.combine(day, datetime.time(hour, 0), tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def frozen_day(time_machine):
    at(time_machine, START_DAY)


@pytest.fixture
def approval_roles(db):
    """The role groups hold what the services ask for (`sync_roles()` gave them after migrate)."""
    for role, permissions in APPROVAL_PERMISSIONS.items():
        held = set(
            Group.objects.get(name=role).permissions.values_list("content_type__app_label", "codename")
        )
        missing = [p for p in permissions if tuple(p.split(".")) not in held]
        assert not missing, f"role {role} lacks {missing}"


# --- files ------------------------------------------------------------------------------------------------


def upload(
    name: str = "材料.pdf", kind: str | None = None, content: bytes | None = None
) -> SimpleUploadedFile:
    kind = kind or name.rsplit(".", 1)[-1].lower()
    return SimpleUploadedFile(name, SAMPLES[kind] if content is None else content)


def upload_for(spec) -> SimpleUploadedFile:
    kind = (spec.formats or ["pdf"])[0]
    return upload(f"{spec.name}.{kind}", kind)


# --- the world ---------------------------------------------------------------------------------------


@dataclass
class World:
    version: object
    departments: dict
    enterprise: object
    project: object
    applicant: object
    clerk: object
    admin: object
    _staff: dict = field(default_factory=dict)

    def bundle(self, code: str) -> Bundle:
        return Bundle.objects.get(version=self.version, code=code)

    def reviewer(self, department_code: str, n: int = 1):
        return self._member("department_reviewer", department_code, n)

    def head(self, department_code: str):
        return self._member("department_head", department_code, 1)

    def _member(self, role, department_code, n):
        key = (role, department_code, n)
        if key not in self._staff:
            self._staff[key] = UserFactory(
                username=f"{role}-{department_code}-{n}",
                department=self.departments[department_code],
                roles=[role],
            )
        return self._staff[key]

    def reviewer_of(self, task):
        return self.reviewer(task.department.code)


def load_demo_world(approval_roles=None) -> World:
    rows = yaml.safe_load((DATA / "departments.yaml").read_text(encoding="utf-8"))
    departments = {row["code"]: DepartmentFactory(**row) for row in rows}
    version = import_catalog((DATA / "catalog.yaml").read_text(encoding="utf-8"), publish=True)
    enterprise = EnterpriseFactory(name="重庆测试芯片科技有限公司", contact_phone="023-65001234")
    project = ProjectFactory(enterprise=enterprise, name="科学城芯片研发中心")
    return World(
        version=version,
        departments=departments,
        enterprise=enterprise,
        project=project,
        applicant=applicant_of(enterprise, username="applicant"),
        clerk=UserFactory(username="clerk", department=departments["window"], roles=["window_clerk"]),
        admin=UserFactory(username="admin", roles=["administrator"]),
    )


@pytest.fixture
def world(approval_roles, frozen_day, isolated_media, fast_passwords) -> World:
    return load_demo_world()


# --- walking an application through the services -----------------------------------------------------------


def fill_form(user, application):
    """Fill every required field of the merged form that has no value yet; returns the application."""
    items = selectors.selected_items(application.bundle, application.answers, complete=False)
    form = selectors.merged_form(
        application.bundle, items, application.enterprise, application.project, application.form_data
    )
    data = {}
    for entry in form:
        if entry.value in (None, "") and entry.required:
            if entry.field.kind == FormField.Kind.CHOICE:
                data[entry.code] = entry.field.choices[0]["value"]
            else:
                data[entry.code] = FILLERS[entry.field.kind]
    return applications.save_form(user, application, data) if data else application


def upload_needed(user, application, *, skip=()):
    """Upload a file for every material the applicant must provide, except those in `skip`."""
    _items, notice, _form = applications.requirements(application)
    for entry in notice:
        if entry.needs_submission and entry.code not in skip:
            applications.upload_material(user, application, entry.code, upload_for(entry.spec))


def draft(world, bundle_code, answers, *, key="", user=None):
    user = user or world.applicant
    application = applications.start_application(
        user, world.project, world.bundle(bundle_code), idempotency_key=key
    )
    application = applications.save_answers(user, application, answers)
    return fill_form(user, application)


def submitted(world, bundle_code, answers, *, skip=(), key="submit-1"):
    application = draft(world, bundle_code, answers)
    upload_needed(world.applicant, application, skip=skip)
    return applications.submit_application(world.applicant, application, idempotency_key=key)


def accept_all_materials(world, application):
    current = application.materials.filter(is_current=True, verdict=SubmittedMaterial.Verdict.PENDING)
    verdicts = {material.spec.code: ("accepted", "") for material in current.select_related("spec")}
    if verdicts:
        intake.record_verdicts(world.clerk, application, verdicts)


def accepted(world, bundle_code, answers, **kwargs):
    application = submitted(world, bundle_code, answers, **kwargs)
    accept_all_materials(world, application)
    return intake.accept_application(world.clerk, application)


def task_of(application, item_code) -> ReviewTask:
    return ReviewTask.objects.select_related("item", "department").get(
        application=application, item__code=item_code
    )


def claim(world, application, item_code):
    task = task_of(application, item_code)
    return review.claim_task(world.reviewer_of(task), task)


def approve(world, application, item_code, *, on_pledge=False):
    task = task_of(application, item_code)
    reviewer = world.reviewer_of(task)
    if task.status == ReviewTask.Status.PENDING:
        review.claim_task(reviewer, task)
    decide = review.approve_task_on_pledge if on_pledge else review.approve_task
    return decide(reviewer, task, "符合要求")


def approve_all(world, application) -> list[list[str]]:
    """Approve every task as it becomes pending; returns the item codes approved in each round."""
    rounds = []
    while True:
        pending = list(
            ReviewTask.objects.filter(application=application, status=ReviewTask.Status.PENDING)
            .select_related("item", "department")
            .order_by("item__code")
        )
        if not pending:
            return rounds
        rounds.append([task.item.code for task in pending])
        for task in pending:
            approve(world, application, task.item.code)
