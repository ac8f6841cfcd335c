"""Texts written by the system are read in the reader's language, whatever the language of whoever triggered
them: notifications are stored in Chinese and English and shown in the active language (pages and API), the
window's system notes on materials are translated where they are shown, and the material names inside error
messages follow the language of the message.

The world is the demo catalog (tests/approvals/conftest.py), whose items and materials have English names.
"""

import datetime

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from sciencecity.api.services import create_token
from sciencecity.approvals.models import SubmittedMaterial
from sciencecity.approvals.services import applications, intake
from sciencecity.catalog.models import MaterialSpec
from sciencecity.notifications import services as notifications
from sciencecity.notifications.models import Notification
from tests.approvals.conftest import (
    START_MINIMAL,
    accept_all_materials,
    accepted,
    draft,
    submitted,
    task_of,
    upload_needed,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EPP = "engineering-planning-permit"
GAP = "quality-safety-measures"  # tolerated as a gap by the construction permit


def in_english(function, *args, **kwargs):
    with translation.override("en"):
        return function(*args, **kwargs)


def shown(notification, language):
    with translation.override(language):
        return notification.shown_title, notification.shown_body


def english_page(client, user, url):
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"
    return response.content.decode()


# --- notifications are written in both languages --------------------------------------------------------------


def test_an_applicant_in_english_mode_gives_the_window_a_chinese_notification(world):
    application = in_english(submitted, world, "start-construction", START_MINIMAL)
    bundle = application.bundle
    (note,) = Notification.objects.filter(recipient=world.clerk, kind="application_submitted")
    assert note.title == f"新的办件待受理:{application.number}"
    assert f"“{bundle.name}”" in note.body and "首次提交" in note.body
    assert shown(note, "zh-hans") == (note.title, note.body)
    title, body = shown(note, "en")
    assert title == f"New application awaiting acceptance: {application.number}"
    assert bundle.name_en and bundle.name_en in body and bundle.name not in body


def test_a_window_in_chinese_mode_gives_an_english_reader_english_notifications(world):
    """Accepting starts the first task: the batched notifications of the release carry both languages too."""
    for code in world.departments:
        world.reviewer(code)  # someone in each department to tell of the tasks released
    with translation.override("zh-hans"):
        application = accepted(world, "start-construction", START_MINIMAL)
    task = task_of(application, EPP)
    (accepted_note,) = Notification.objects.filter(recipient=world.applicant, kind="application_accepted")
    assert accepted_note.title == f"办件 {application.number} 已受理"
    assert application.bundle.name_en in shown(accepted_note, "en")[1]
    (released,) = Notification.objects.filter(recipient=world.reviewer_of(task), kind="task_released")
    assert released.title == f"新的审批任务待认领:{task.item.name}"
    assert shown(released, "en")[0] == f"New review task to claim: {task.item.name_en}"


def test_notify_renders_compose_once_per_language_and_keeps_its_dedupe(world):
    calls = []

    def compose():
        calls.append(translation.get_language())
        return translation.gettext("证照已送达"), ""

    (first,) = notifications.notify([world.applicant], "test", compose, dedupe_key="k")
    assert calls == ["zh-hans", "en"]
    assert (first.title, first.title_en) == ("证照已送达", in_english(translation.gettext, "证照已送达"))
    assert first.title_en != first.title
    assert notifications.notify([world.applicant], "test", compose, dedupe_key="k") == []


def test_notifications_written_before_in_chinese_only_are_shown_in_chinese(world):
    note = Notification.objects.create(recipient=world.applicant, kind="test", title="旧通知", body="旧内容")
    assert shown(note, "en") == ("旧通知", "旧内容")


# --- where notifications are read --------------------------------------------------------------------------


def test_the_notifications_page_shows_the_readers_language(world, client):
    in_english(submitted, world, "start-construction", START_MINIMAL)
    (note,) = Notification.objects.filter(recipient=world.clerk, kind="application_submitted")
    html = english_page(client, world.clerk, reverse("notifications:inbox"))
    assert note.title_en in html and note.title not in html
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get(reverse("notifications:inbox")).content.decode()
    assert note.title in html and note.title_en not in html


def test_the_api_gives_notifications_in_the_language_asked_for(world):
    application = submitted(world, "start-construction", START_MINIMAL)
    _token, secret = create_token(world.clerk, "test")
    texts = {}
    for language in ("en", "zh-hans"):
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        (row,) = client.get("/api/v1/notifications/").json()["results"]
        texts[language] = (row["title"], row["body"])
    assert texts["en"][0] == f"New application awaiting acceptance: {application.number}"
    assert application.bundle.name_en in texts["en"][1]
    assert texts["zh-hans"][0] == f"新的办件待受理:{application.number}"


# --- the window's system notes on materials ----------------------------------------------------------------


def test_the_note_on_a_material_the_platform_holds_is_shown_in_english(world, client):
    """Stored as the Chinese message id whoever acted (here an applicant and a clerk in English mode), shown in
    the reader's language."""
    with translation.override("en"):
        application = accepted(world, "start-construction", START_MINIMAL)
    held = SubmittedMaterial.objects.filter(application=application, is_current=True).exclude(
        source=SubmittedMaterial.Source.UPLOAD
    )
    assert held.exists() and {m.verdict_note for m in held} == {"平台已有信息,免于提交"}
    task = task_of(application, EPP)
    english = "Already held by the platform; no need to submit"
    html = english_page(client, world.reviewer_of(task), reverse("approvals:department_task", args=[task.pk]))
    assert english in html and "平台已有信息" not in html
    leader = UserFactory(username="leader", roles=["leader"])
    html = english_page(client, leader, reverse("approvals:leaders_application", args=[application.pk]))
    assert english in html and "平台已有信息" not in html


def test_the_note_on_a_tolerated_gap_is_shown_in_english(world, client):
    with translation.override("en"):
        application = submitted(world, "start-construction", START_MINIMAL, skip={GAP})
        accept_all_materials(world, application)
        intake.accept_with_gaps(world.clerk, application, {GAP: datetime.date(2026, 6, 15)})
    gap = SubmittedMaterial.objects.get(application=application, spec__code=GAP, is_current=True)
    assert gap.verdict_note == "容缺受理,须于 2026-06-15 前补交"
    leader = UserFactory(username="leader", roles=["leader"])
    html = english_page(client, leader, reverse("approvals:leaders_application", args=[application.pk]))
    assert "Accepted with tolerated gap; to be supplied by 2026-06-15" in html and "容缺受理" not in html
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get(reverse("approvals:leaders_application", args=[application.pk])).content.decode()
    assert "容缺受理,须于 2026-06-15 前补交" in html


def test_the_acceptance_names_the_tolerated_gaps_by_their_names_not_their_codes(world):
    application = submitted(world, "start-construction", START_MINIMAL, skip={GAP})
    accept_all_materials(world, application)
    intake.accept_with_gaps(world.clerk, application, {GAP: datetime.date(2026, 6, 15)})
    note = Notification.objects.get(recipient=world.applicant, kind="application_accepted")
    spec = MaterialSpec.objects.get(version=world.version, code=GAP)
    assert f"{spec.name}(2026-06-15 前)" in note.body and GAP not in note.body
    assert f"{spec.name_en} (by 2026-06-15)" in note.body_en and GAP not in note.body_en


# --- material names inside error messages ------------------------------------------------------------------


def test_a_missing_material_is_named_in_english_in_english_mode(world):
    application = draft(world, "start-construction", START_MINIMAL)
    _items, notice, _form = applications.requirements(application)
    missing = next(e for e in notice if e.needs_submission and not e.gap_tolerated and e.spec.name_en)
    upload_needed(world.applicant, application, skip={missing.code})
    with pytest.raises(ValidationError) as raised:
        in_english(applications.submit_application, world.applicant, application, idempotency_key="s")
    messages = raised.value.message_dict[f"materials.{missing.code}"]
    assert messages == [f"Submit the material “{missing.spec.name_en}”."]


def test_an_unaccepted_material_is_named_in_english_in_english_mode(world):
    application = submitted(world, "start-construction", START_MINIMAL)
    with pytest.raises(ValidationError) as raised:
        in_english(intake.accept_application, world.clerk, application)
    _items, notice, _form = applications.requirements(application)
    names = {e.code: e.spec.name_en for e in notice}
    for code, errors in raised.value.message_dict.items():
        assert errors == [f"The material “{names[code]}” has not passed the check yet."], code
