"""The pages of the target delivery date (定日出件) with 交地即领证: the applicant's date on the edit page and on the
application's page, the window's list of handovers (at risk filtered), its change page and the delivery queue,
the department's task page, and the leaders' overview panel and list; in Chinese and in English (the date's
name is catalog data: 交地日期 / Land handover date).

The world is the demo catalog of tests/approvals/conftest.py with time frozen on Monday 2026-06-01.
"""

import datetime

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from sciencecity.approvals.models import Application
from sciencecity.approvals.services import target_dates as target_services
from sciencecity.audit.models import AuditEvent
from tests.approvals.conftest import START_DAY, approve, at, load_demo_world, task_of
from tests.approvals.test_target_dates import (
    CONTRACT,
    EARLIEST,
    HANDOVER,
    SATURDAY,
    TITLE,
    handover_accepted,
    handover_draft,
)
from tests.factories import staff

pytestmark = pytest.mark.django_db

TARGETS = reverse("approvals:window_targets")
MOVED = datetime.date(2026, 6, 5)


@pytest.fixture
def world(db, settings, tmp_path, time_machine):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    at(time_machine, START_DAY)
    world = load_demo_world()
    world.leader = staff("leader", username="leader")
    return world


def as_user(client, user, language="zh-hans"):
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


def at_risk(world):
    """An application in review whose handover the window brought forward before the title's deadline."""
    application = handover_accepted(world, key="risky")
    approve(world, application, CONTRACT)
    target_services.change_target_date(world.clerk, application, MOVED, "出让人通知交地提前")
    return Application.objects.get(pk=application.pk)


# --- the applicant --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "label"), [("zh-hans", "交地日期"), ("en", "Land handover date")])
def test_the_edit_page_asks_for_the_handover_date_and_explains_a_refusal(world, client, language, label):
    application = handover_draft(world, target=None)
    as_user(client, world.applicant, language)
    edit = reverse("approvals:portal_edit", kwargs={"pk": application.pk})
    page = client.get(edit)
    html = page.content.decode()
    assert page.status_code == 200 and 'id="target"' in html and label in html
    assert 'min="2026-06-12"' in html and 'name="target_date"' in html
    save = reverse("approvals:portal_save_target_date", kwargs={"pk": application.pk})
    refused = client.post(save, {"target_date": SATURDAY.isoformat()})
    assert refused.status_code == 400
    assert "2026-06-13" in refused.content.decode()  # the error names the rest day
    assert Application.objects.get(pk=application.pk).target_date is None
    saved = client.post(save, {"target_date": HANDOVER.isoformat()})
    assert saved.status_code == 302 and saved["Location"].endswith("?saved=target#target")
    assert Application.objects.get(pk=application.pk).target_date == HANDOVER
    assert 'value="2026-06-22"' in client.get(edit).content.decode()
    # A bundle without a target date has no such section, and its address answers 404.
    other = load_other_draft(world)
    assert (
        'id="target"'
        not in client.get(reverse("approvals:portal_edit", kwargs={"pk": other.pk})).content.decode()
    )
    assert (
        client.post(reverse("approvals:portal_save_target_date", kwargs={"pk": other.pk}), {}).status_code
        == 404
    )


def load_other_draft(world):
    from tests.approvals.conftest import START_MINIMAL, draft

    return draft(world, "start-construction", START_MINIMAL)


def test_the_application_page_shows_the_date_and_its_risk(world, client):
    application = at_risk(world)
    html = (
        as_user(client, world.applicant)
        .get(reverse("approvals:portal_application", kwargs={"pk": application.pk}))
        .content.decode()
    )
    assert "交地日期" in html and 'data-target-date="2026-06-05"' in html
    assert 'data-target-risk="late_deadline"' in html
    english = as_user(client, world.applicant, "en").get(
        reverse("approvals:portal_application", kwargs={"pk": application.pk})
    )
    assert "Land handover date" in english.content.decode()


# --- the window -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_window_lists_the_handovers_soonest_first_and_filters_those_at_risk(world, client, language):
    risky = at_risk(world)
    calm = handover_accepted(world, key="calm")
    as_user(client, world.clerk, language)
    page = client.get(TARGETS)
    assert page.status_code == 200
    assert [row.pk for row in page.context["rows"]] == [risky.pk, calm.pk]  # 5 June, then 22 June
    assert [row.target_risk for row in page.context["rows"]] == ["late_deadline", ""]
    html = page.content.decode()
    assert ("交地日期" if language == "zh-hans" else "Land handover date") in html
    filtered = client.get(TARGETS, {"risk": "at_risk"})
    assert [row.pk for row in filtered.context["rows"]] == [risky.pk]
    by_reason = client.get(TARGETS, {"risk": "due_soon"})
    assert [row.pk for row in by_reason.context["rows"]] == []
    # Not the window's: 403.
    assert as_user(client, world.applicant).get(TARGETS).status_code == 403


def test_the_window_moves_the_date_from_its_page(world, client):
    application = handover_accepted(world)
    url = reverse("approvals:window_change_target", kwargs={"pk": application.pk})
    as_user(client, world.clerk)
    page = client.get(url)
    assert page.status_code == 200 and "新的交地日期" in page.content.decode()
    refused = client.post(url, {"target_date": SATURDAY.isoformat(), "reason": ""})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "2026-06-13" in html and "请填写调整原因" in html
    moved = client.post(url, {"target_date": MOVED.isoformat(), "reason": "出让人通知交地提前"}, follow=True)
    assert moved.redirect_chain[-1][0] == TARGETS
    assert Application.objects.get(pk=application.pk).target_date == MOVED
    assert AuditEvent.objects.filter(action="approvals.change_target_date", actor=world.clerk).exists()
    # Earlier than the deadlines: the page warns that it is now at risk.
    assert "审批期限晚于目标日期" in moved.content.decode()
    # The intake and delivery pages link to it; the applicant may not open it.
    assert as_user(client, world.applicant).get(url).status_code == 403


def test_the_delivery_queue_shows_the_day_and_waits_for_it(world, client, time_machine):
    from tests.approvals.conftest import approve_all

    application = handover_accepted(world)
    approve_all(world, application)
    as_user(client, world.clerk)
    queue = client.get(reverse("approvals:window_delivery")).content.decode()
    assert "2026-06-22" in queue and "未到,届时出件" in queue
    deliver = reverse("approvals:window_deliver", kwargs={"pk": application.pk})
    page = client.get(deliver).content.decode()
    assert "当日统一出件全部结果" in page and 'name="method"' not in page
    early = client.post(deliver, {"method": "electronic"})
    assert early.status_code == 302
    assert Application.objects.get(pk=application.pk).status == Application.Status.CONCLUDED
    at(time_machine, HANDOVER)
    as_user(client, world.clerk)
    queue = client.get(reverse("approvals:window_delivery"))
    assert [row.pk for row in queue.context["due_today"]] == [application.pk]
    assert 'name="method"' in client.get(deliver).content.decode()
    done = client.post(deliver, {"method": "electronic"})
    assert done.status_code == 302
    assert Application.objects.get(pk=application.pk).status == Application.Status.DELIVERED


# --- the department and the leaders -----------------------------------------------------------------------------


def test_the_department_task_page_shows_the_handover_date(world, client):
    application = at_risk(world)
    task = task_of(application, TITLE)
    reviewer = world.reviewer("planning")
    html = (
        as_user(client, reviewer)
        .get(reverse("approvals:department_task", kwargs={"pk": task.pk}))
        .content.decode()
    )
    assert "交地日期" in html and 'data-target-date="2026-06-05"' in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_leaders_see_the_handovers_at_risk_and_drill_down(world, client, language):
    risky = at_risk(world)
    handover_accepted(world, key="calm")
    as_user(client, world.leader, language)
    overview = client.get(reverse("approvals:leaders_overview"))
    assert overview.status_code == 200 and overview.context["targets_at_risk"] == 1
    (row,) = overview.context["targets"]
    assert (row["total"], row["at_risk"]) == (2, 1)
    html = overview.content.decode()
    assert 'id="table-targets"' in html and row["url"] in html.replace("&amp;", "&")
    assert ("交地日期" if language == "zh-hans" else "Land handover date") in html
    listed = client.get(row["url"])
    assert [application.pk for application in listed.context["applications"]] == [risky.pk]
    assert 'data-target-risk="late_deadline"' in listed.content.decode()
    detail = client.get(reverse("approvals:leaders_application", kwargs={"pk": risky.pk})).content.decode()
    assert 'data-target-date="2026-06-05"' in detail


def test_earliest_date_is_offered_on_the_page(world, client):
    application = handover_draft(world, target=None)
    html = (
        as_user(client, world.applicant)
        .get(reverse("approvals:portal_edit", kwargs={"pk": application.pk}))
        .content.decode()
    )
    assert EARLIEST.isoformat() in html


def test_the_workbench_counts_the_handovers_at_risk_for_the_window_and_the_leaders(world, client):
    at_risk(world)
    handover_accepted(world, key="calm")
    for user, link in (
        (world.clerk, TARGETS + "?risk=at_risk"),
        (world.leader, reverse("approvals:leaders_applications") + "?at_risk=on"),
    ):
        page = as_user(client, user).get(reverse("home"))
        counts = [count for area in page.context["areas"] for count in area["counts"]]
        assert {"label": "定日出件有风险", "number": 1, "url": link} in counts
