"""The leaders' audit trail (/leaders/applications/<id>/) as a supervisor reads it: changes in words, not the
codes and ids the services record; the recorded data still at hand in each event's technical details; the
page's queries do not grow with the number of events.

The world is the demo catalog (see tests/approvals/conftest.py) with time frozen on Monday 2026-06-01; an
application of 开工一件事 goes through correction, acceptance, review (claim, opinion, supplement, reassignment,
extension), approval, delivery and rating.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from sciencecity.approvals.models import Application, ReviewTask, SubmittedMaterial
from sciencecity.approvals.services import applications, delivery, intake, ratings, review
from sciencecity.approvals.services.applications import bundle_spec
from sciencecity.approvals.views.audit import AuditReader
from sciencecity.audit.models import AuditEvent
from tests.approvals.conftest import (
    START_DAY,
    START_MINIMAL,
    accept_all_materials,
    approve_all,
    at,
    load_demo_world,
    submitted,
    task_of,
    upload_for,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EPP = "engineering-planning-permit"  # the planning department's item, started when the window accepts
GAP = "quality-safety-measures"


@pytest.fixture
def world(db, settings, tmp_path, time_machine):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    at(time_machine, START_DAY)
    return load_demo_world()


@pytest.fixture
def supervisor(db):
    return UserFactory(username="supervisor", display_name="赵督查", roles=["supervisor"])


def walk(world, key: str, *, rounds: int = 1) -> Application:
    """An application through the whole flow; `rounds` reassignments (each to another reviewer) and opinions
    on its planning task make its trail longer without new kinds of events."""
    application = submitted(world, "start-construction", START_MINIMAL, key=key)
    intake.request_correction(world.clerk, application, [{"material": GAP, "problem": "缺少项目负责人签字"}])
    applications.upload_material(world.applicant, application, GAP, upload_for(bundle_spec(application, GAP)))
    application = applications.submit_application(
        world.applicant, Application.objects.get(pk=application.pk), idempotency_key=f"{key}-again"
    )
    accept_all_materials(world, application)
    intake.accept_application(world.clerk, application)
    task = task_of(application, EPP)
    head = world.head(task.department.code)
    review.claim_task(world.reviewer_of(task), task)
    for n in range(rounds):
        current = task_of(application, EPP)
        review.add_opinion(current.assignee, current, f"意见 {n}")
        review.reassign_task(head, task_of(application, EPP), world.reviewer(task.department.code, n + 2))
    review.extend_deadline(head, task_of(application, EPP), 2, "需组织专家论证")
    review.approve_task(task_of(application, EPP).assignee, task_of(application, EPP), "同意")
    approve_all(world, application)
    application.refresh_from_db()
    delivery.deliver_application(world.clerk, application, method="electronic")
    ratings.rate_application(world.applicant, application, 5, "很满意")
    return application


def page(client, user, application, language="zh-hans"):
    client.force_login(user)
    client.cookies["django_language"] = language
    response = client.get(reverse("approvals:leaders_application", args=[application.pk]))
    assert response.status_code == 200
    return response


def trail(html: str) -> str:
    """The audit table's text as read, without the folded technical details."""
    table = re.search(r'<table[^>]*id="audit-trail".*?</table>', html, re.S)
    assert table, "no audit trail"
    readable = re.sub(r"<details.*?</details>", "", table.group(0), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", readable))


def test_the_trail_reads_in_words(world, client, supervisor):
    application = walk(world, "flow")
    planning = task_of(application, EPP)
    first, second = world.reviewer("planning"), world.reviewer("planning", 2)
    text = trail(page(client, supervisor, application).content.decode())

    # No material, item or question codes, no Python lists or dicts, no field keys, no ids, no file hashes.
    for code in (GAP, EPP, "site-plan", "land_with_scheme", "building_use"):
        assert code not in text, code
    for raw in ("['", "{'", "[{", "pending", "accepted", "in_review", "None"):
        assert raw not in text, raw
    for key in ("name:", "size:", "sha256", "data_value", "started_on", "assignee", "decided_by", "spec:"):
        assert key not in text, key
    sha = SubmittedMaterial.objects.filter(application=application).exclude(sha256="").first().sha256
    assert sha[:12] not in text
    # The application by its current number, never the draft code it had when the first events were recorded.
    assert "CG" not in text and f"办件 {application.number}" in text
    # Users by their names (never "承办人: — → 18"), choices by their labels, fields by their verbose names.
    assert f"承办人: — → {first.display_name}" in text
    assert f"承办人: {first.display_name} → {second.display_name}" in text
    assert f"→ {first.pk} " not in text and f"→ {second.pk} " not in text
    assert "状态: 待受理 → 待补正" in text
    assert "起算日: — → 2026-06-01" in text and "延长工作日: 0 → 2" in text
    assert f"审批任务 · {planning.item}" in text
    assert "申请材料 · 工程质量安全保证措施" in text and "文件大小: " in text
    # The window's verdicts by material name and verdict label; the correction's problem with its material's.
    assert "工程质量安全保证措施(含危险性较大的分部分项工程清单): 待审核 → 符合要求" in text
    assert "工程质量安全保证措施(含危险性较大的分部分项工程清单):缺少项目负责人签字" in text
    # Lists summarised: the tasks created by item and department, the outcomes by item, answers by question.
    assert f"{planning.item}({planning.department})" in text
    assert f"{planning.item}:准予许可" in text
    assert "情形回答: " in text and "等共 8 项" in text
    assert "出件方式: 电子送达" in text


def test_the_recorded_data_stays_in_the_technical_details(world, client, supervisor):
    application = walk(world, "flow")
    html = page(client, supervisor, application).content.decode()
    details = re.findall(r'<details class="audit-raw">(.*?)</details>', html, re.S)
    events = AuditEvent.objects.filter(target_id=str(application.pk), target_repr__startswith="SQ")
    assert details and events.exists()
    raw = "".join(details)
    assert "技术详情" in raw and "变更前" in raw and "变更后" in raw
    assert "sha256" in raw and "quality-safety-measures" in raw and "&quot;assignee&quot;" in raw
    # Folded (closed) and marked as data, so the language checks leave its codes alone.
    assert '<details class="audit-raw" open' not in html and "<pre data-user-text" in raw


def test_english_names_fields_and_choices_in_english(world, client, supervisor):
    application = walk(world, "flow")
    first = world.reviewer("planning")
    text = trail(page(client, supervisor, application, "en").content.decode())
    with translation.override("en"):
        assignee = str(ReviewTask._meta.get_field("assignee").verbose_name)
        in_review = str(ReviewTask.Status.IN_REVIEW.label)
        number = str(Application._meta.verbose_name)
    assert assignee == "Assignee" and f"{assignee}: — → {first.display_name}" in text
    assert in_review in text and f"{number} {application.number}" in text
    assert "承办人" not in text and "审查中" not in text


def test_queries_do_not_grow_with_the_events(world, client, supervisor):
    short = walk(world, "short", rounds=1)
    long = walk(world, "long", rounds=6)

    def count(application):
        page(client, supervisor, application)  # warm the session and the content types' cache
        with CaptureQueriesContext(connection) as queries:
            response = page(client, supervisor, application)
        return len(queries), len(response.context["events"])

    short_queries, short_events = count(short)
    long_queries, long_events = count(long)
    assert long_events >= short_events + 10  # six reassignments and six opinions by six reviewers
    assert long_queries == short_queries


def test_names_are_read_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    application = walk(world, "flow", rounds=3)
    events = list(AuditEvent.objects.filter(target_repr__contains=application.number))
    events += list(AuditEvent.objects.filter(target_id=str(application.pk), target_type__model="application"))
    reader = AuditReader(Application.objects.select_related("bundle", "project").get(pk=application.pk))
    # users, departments, materials, items, situation questions, form fields
    with django_assert_max_num_queries(6):
        reader.describe(events)
