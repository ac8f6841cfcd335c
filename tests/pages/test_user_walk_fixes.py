"""Defects a user walk through the pages found, each pinned by a page test:

1. an action whose deadline reaches a year the working-day calendar does not know (2027) is refused with a
   message that names the year, says nothing was saved and who must act (not a server error);
2. the notifications link each reader to the application's page they can open;
3. 403 and 404 in the site's layout, with the exception's message; a static 500 page;
4. a GET of a POST-only action address (a refresh, a language switch after an error) finds its page;
5. the messages defined once per module follow the language of the request;
6. withdrawing is confirmed on a page of its own, with a reason;
7. the edit page opens at the section just saved or refused, which says so, and says each section saves alone;
8. a login link for visitors, and a workbench on /me/;
9. the window's gap list links to the application, the intake form offers a due date only where a gap is
   tolerated, and the correction history names materials;
10. reassigning never offers the current assignee.

The world is the demo catalog (see tests/approvals/conftest.py) with time frozen on Monday 2026-06-01 unless
a test moves it; the calendar package knows 2026 and nobody has entered 2027.
"""

import datetime

import pytest
from django.conf import settings as django_settings
from django.contrib.messages import get_messages
from django.db import connection
from django.template import loader
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from sciencecity.approvals.models import Application, ReviewTask, SubmittedMaterial
from sciencecity.approvals.services import applications, intake, review
from sciencecity.catalog.models import FormField
from sciencecity.notifications.models import Notification
from tests.approvals.conftest import (
    START_DAY,
    START_MINIMAL,
    accept_all_materials,
    accepted,
    at,
    draft,
    load_demo_world,
    submitted,
    task_of,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
A = Application.Status
T = ReviewTask.Status
V = SubmittedMaterial.Verdict
BUNDLE = "start-construction"
EPP = "engineering-planning-permit"  # planning; promised 2 working days, legal 20, starts at acceptance
GAP = "quality-safety-measures"  # tolerated as a gap by the construction permit
UNKNOWN_YEAR = "2027年的工作日历"
NOTHING_SAVED = "没有保存任何内容"
ADMIN_HOLIDAYS = reverse("admin:workdays_holidayoverride_changelist")


@pytest.fixture
def world(db, settings, tmp_path, time_machine):
    """The demo world of tests/approvals/conftest.py: fast passwords, files in a temporary folder, time frozen."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    at(time_machine, START_DAY)
    return load_demo_world()


def as_user(client, user):
    client.logout()
    client.force_login(user)
    return client


def url(name, **kwargs):
    return reverse(f"approvals:{name}", kwargs=kwargs)


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def all_accepted(application) -> dict:
    """Intake POST data: every current material accepted."""
    return {
        f"verdict_{material.spec.code}": V.ACCEPTED
        for material in application.materials.filter(is_current=True).select_related("spec")
    }


# --- 1. a deadline in a year the calendar does not know --------------------------------------------------


def test_accepting_in_december_works_and_the_deadlines_reaching_january_say_provisional(
    world, client, time_machine
):
    """The window no longer stops in December (issue 10): a deadline reaching 2027, whose holidays are not
    published, is counted provisionally, and the pages say 暂定 beside it."""
    at(time_machine, D(2026, 12, 14))  # EPP's legal deadline (20 working days) falls in January 2027
    application = submitted(world, BUNDLE, START_MINIMAL)
    response = as_user(client, world.clerk).post(
        url("window_intake", pk=application.pk), {**all_accepted(application), "outcome": "accept"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == A.IN_REVIEW
    task = task_of(application, EPP)
    assert task.legal_deadline.year == 2027 and task.legal_deadline_provisional
    page = as_user(client, world.reviewer("planning")).get(url("department_task", pk=task.pk))
    assert f'{task.legal_deadline.isoformat()} <span class="tag provisional"' in page.content.decode()


@pytest.mark.usefixtures("uncomputable_2027")
class TestUnknownCalendarYear:
    def test_accepting_at_the_window_is_refused_and_nothing_is_saved(self, world, client, time_machine):
        at(time_machine, D(2026, 12, 14))  # EPP's legal deadline (20 working days) falls in January 2027
        application = submitted(world, BUNDLE, START_MINIMAL)
        verdicts = dict(application.materials.values_list("pk", "verdict"))
        client = as_user(client, world.clerk)
        response = client.post(
            url("window_intake", pk=application.pk), {**all_accepted(application), "outcome": "accept"}
        )
        # The page comes back (409) with the message and the clerk's verdicts as entered, not lost.
        assert response.status_code == 409
        content = response.content.decode()
        assert UNKNOWN_YEAR in content and NOTHING_SAVED in content and "管理员" in content
        form = response.context["form"]
        assert form.is_bound and all(
            form[f"verdict_{code}"].value() == V.ACCEPTED
            for code in application.materials.values_list("spec__code", flat=True)
            if f"verdict_{code}" in form.fields
        )
        assert 'value="accepted" selected' in content
        assert ADMIN_HOLIDAYS not in content  # a clerk cannot enter holidays: no link
        application.refresh_from_db()
        assert application.status == A.SUBMITTED and not application.tasks.exists()
        # The verdicts were part of the refused decision: rolled back with it.
        assert dict(application.materials.values_list("pk", "verdict")) == verdicts

    def test_accepting_with_gaps_is_refused_too(self, world, client, time_machine):
        at(time_machine, D(2026, 12, 14))
        application = submitted(world, BUNDLE, START_MINIMAL, skip={GAP})
        data = {
            **all_accepted(application),
            f"verdict_{GAP}": V.TOLERATED,
            f"due_{GAP}": "2026-12-28",
            "outcome": "accept_with_gaps",
        }
        response = as_user(client, world.clerk).post(url("window_intake", pk=application.pk), data)
        assert response.status_code == 409
        assert any(UNKNOWN_YEAR in text and NOTHING_SAVED in text for text in message_texts(response))
        assert 'value="2026-12-28"' in response.content.decode()  # the due date entered is kept
        application.refresh_from_db()
        assert application.status == A.SUBMITTED

    def test_an_administrator_gets_the_link_to_the_holidays(self, world, client, time_machine):
        at(time_machine, D(2026, 12, 14))
        application = submitted(world, BUNDLE, START_MINIMAL)
        root = UserFactory(username="root", is_staff=True, is_superuser=True)
        response = as_user(client, root).post(
            url("window_intake", pk=application.pk),
            {**all_accepted(application), "outcome": "accept"},
        )
        content = response.content.decode()
        assert UNKNOWN_YEAR in content and f'<a href="{ADMIN_HOLIDAYS}">' in content

    def test_extending_a_task_into_2027_is_refused(self, world, client, time_machine):
        at(time_machine, D(2026, 11, 2))
        application = accepted(world, BUNDLE, START_MINIMAL)
        task = task_of(application, EPP)
        before = task.promised_deadline
        response = as_user(client, world.head("planning")).post(
            url("department_task_extend", pk=task.pk), {"days": "40", "reason": "需组织专家论证"}
        )
        assert response.status_code == 302 and response.url == url("department_task", pk=task.pk)
        page = client.get(response.url)
        content = page.content.decode()
        assert page.status_code == 200 and UNKNOWN_YEAR in content and NOTHING_SAVED in content
        task = task_of(application, EPP)
        assert (task.extension_days, task.promised_deadline) == (0, before)


# --- 2. notification links --------------------------------------------------------------------------------


class TestNotificationLinks:
    def test_each_reader_gets_the_page_they_can_open(self, world, client):
        application = accepted(world, BUNDLE, START_MINIMAL)
        task = task_of(application, EPP)
        reviewer = world.reviewer("planning")
        leader = UserFactory(username="leader-x", roles=["leader"])
        expected = {
            world.applicant: url("portal_application", pk=application.pk),
            world.clerk: url("window_intake", pk=application.pk),
            reviewer: url("department_task", pk=task.pk),
            leader: url("leaders_application", pk=application.pk),
        }
        for user, link in expected.items():
            Notification.objects.create(recipient=user, kind="test", title="办件动态", about=application)
            response = as_user(client, user).get(reverse("notifications:inbox"))
            content = response.content.decode()
            assert f'<a href="{link}">' in content, user
            if user != world.applicant:
                assert url("portal_application", pk=application.pk) not in content, user

    def test_a_department_reader_gets_the_notifications_task_else_one_of_theirs(self, world, client):
        application = accepted(world, BUNDLE, START_MINIMAL)
        task = task_of(application, EPP)
        head = world.head("planning")
        Notification.objects.create(recipient=head, kind="t", title="任务", about=task)
        Notification.objects.create(recipient=head, kind="t", title="办件", about=application)
        content = as_user(client, head).get(reverse("notifications:inbox")).content.decode()
        assert content.count(f'<a href="{url("department_task", pk=task.pk)}">') == 2
        # A department with no task in the application gets no link it could not open.
        other = world.reviewer("housing")
        other_tasks = application.tasks.filter(department=other.department)
        Notification.objects.create(recipient=other, kind="t", title="办件", about=application)
        content = as_user(client, other).get(reverse("notifications:inbox")).content.decode()
        if other_tasks.exists():
            assert url("department_task", pk=other_tasks.order_by("pk").first().pk) in content
        assert url("portal_application", pk=application.pk) not in content

    def test_the_number_of_queries_does_not_grow_with_the_notifications(self, world, client):
        reviewer = world.reviewer("planning")
        client = as_user(client, reviewer)
        first = accepted(world, BUNDLE, START_MINIMAL, key="n-0")
        # About a task, like those added below: the inbox reads one query per kind of subject on the page (a
        # fixed number), so both measurements show the same kinds.
        Notification.objects.create(recipient=reviewer, kind="t", title="一", about=task_of(first, EPP))
        # One list of all (unread ones are grouped by kind).
        every = reverse("notifications:inbox") + "?state=all"
        client.get(every)  # warm up the session and permission caches
        with CaptureQueriesContext(connection) as one:
            client.get(every)
        with CaptureQueriesContext(connection) as one_grouped:
            client.get(reverse("notifications:inbox"))
        for n in range(1, 5):
            application = accepted(world, BUNDLE, START_MINIMAL, key=f"n-{n}")
            Notification.objects.create(
                recipient=reviewer,
                kind="t",
                title="多",
                about=task_of(application, EPP),
            )
        with CaptureQueriesContext(connection) as many:
            response = client.get(every)
        linked = Notification.objects.filter(recipient=reviewer, about_type__isnull=False).count()
        assert linked >= 5 and response.content.decode().count('href="/department/tasks/') == linked
        assert len(many) == len(one)
        with CaptureQueriesContext(connection) as many_grouped:
            assert client.get(reverse("notifications:inbox")).status_code == 200
        assert len(many_grouped) == len(one_grouped)


# --- 3. error pages -----------------------------------------------------------------------------------------


class TestErrorPages:
    def test_403_in_the_layout_with_the_reason_and_ways_back(self, world, client):
        response = as_user(client, world.clerk).get(url("portal_home"))
        assert response.status_code == 403
        content = response.content.decode()
        assert "403 Forbidden" not in content
        assert "科学城项目服务平台" in content and 'class="main-nav"' in content  # base.html
        assert "没有权限" in content and "企业服务仅供企业申请人使用。" in content
        assert 'href="/"' in content and f'href="{reverse("home")}"' in content

    def test_403_without_a_message_says_so_generically(self, world, client):
        response = as_user(client, world.applicant).get(url("window_queue"))
        assert response.status_code == 403
        assert "您没有打开此页面或执行此操作的权限。" in response.content.decode()

    def test_404_in_the_layout_with_the_scope_message(self, world, client):
        response = as_user(client, world.applicant).get(url("portal_application", pk=999999))
        assert response.status_code == 404
        content = response.content.decode()
        assert "页面不存在" in content and "不存在,或您无权访问" in content and 'class="main-nav"' in content
        anonymous = client.logout() or client.get("/no-such-page/")
        assert anonymous.status_code == 404 and "Resolver404" not in anonymous.content.decode()

    def test_500_renders_without_a_request(self):
        with translation.override("zh-hans"):
            html = loader.get_template("500.html").render()
        assert "服务器出错" in html and 'href="/"' in html


# --- 4. GET on POST-only action addresses -------------------------------------------------------------------


class TestGetOnActions:
    def test_portal_actions_lead_back_to_their_page(self, world, client):
        application = draft(world, BUNDLE, START_MINIMAL)
        client = as_user(client, world.applicant)
        edit = url("portal_edit", pk=application.pk)
        for name, anchor in (
            ("portal_save_answers", "#answers"),
            ("portal_save_form", "#form"),
            ("portal_save_materials", "#materials"),
            ("portal_submit", "#review"),
        ):
            response = client.get(url(name, pk=application.pk))
            assert (response.status_code, response.url) == (302, edit + anchor), name
        page = url("portal_application", pk=application.pk)
        for name in ("portal_correction", "portal_rate"):
            response = client.get(url(name, pk=application.pk))
            assert response.status_code == 302 and response.url.startswith(page), name
        response = client.get(url("portal_supply_gap", pk=application.pk, code=GAP))
        assert response.status_code == 302 and response.url == page + "#gaps"
        assert client.put(url("portal_save_form", pk=application.pk)).status_code == 405

    def test_after_a_refused_post_a_refresh_finds_the_page(self, world, client):
        application = accepted(world, BUNDLE, START_MINIMAL)
        task = task_of(application, EPP)
        client = as_user(client, world.head("planning"))
        action = url("department_task_extend", pk=task.pk)
        assert client.post(action, {"days": "3", "reason": ""}).status_code == 400
        response = client.get(action)
        assert (response.status_code, response.url) == (302, url("department_task", pk=task.pk))
        for name in (
            "department_task_claim",
            "department_task_opinion",
            "department_task_inspection",
            "department_task_decision",
            "department_task_supplement",
            "department_task_reassign",
        ):
            assert client.get(url(name, pk=task.pk)).url == url("department_task", pk=task.pk), name

    def test_window_gap_actions_lead_back_to_the_gap_list(self, world, client):
        client = as_user(client, world.clerk)
        for name in ("window_gap_accept", "window_gap_reject"):
            response = client.get(url(name, pk=1))
            assert (response.status_code, response.url) == (302, url("window_gaps")), name

    def test_marking_all_notifications_read_leads_back_to_them(self, world, client):
        response = as_user(client, world.applicant).get(reverse("notifications:mark_all_read"))
        assert (response.status_code, response.url) == (302, reverse("notifications:inbox"))


# --- 5. messages in the request's language -------------------------------------------------------------------


def test_the_fix_errors_message_follows_the_language(world, client):
    client = as_user(client, world.applicant)
    invalid = {"code": "", "name": "", "investment_type": "enterprise", "phase": "signed"}
    for language in ("zh-hans", "en", "zh-hans"):
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
        response = client.post(url("portal_project_new"), invalid)
        assert response.status_code == 400
        with translation.override(language):
            assert translation.gettext("请修改下面标出的错误。") in message_texts(response), language


# --- 6. withdrawing asks for confirmation and a reason --------------------------------------------------------


def test_withdrawing_is_confirmed_on_its_own_page_with_a_reason(world, client):
    application = submitted(world, BUNDLE, START_MINIMAL)
    client = as_user(client, world.applicant)
    withdraw = url("portal_withdraw", pk=application.pk)
    content = client.get(url("portal_application", pk=application.pk)).content.decode()
    assert f'href="{withdraw}"' in content
    assert f'action="{withdraw}"' not in content  # no one-click withdrawal on the progress page

    page = client.get(withdraw)
    assert page.status_code == 200
    content = page.content.decode()
    assert "确认撤回" in content and f'action="{withdraw}"' in content and 'name="reason"' in content
    refused = client.post(withdraw, {"expected_status": A.SUBMITTED, "reason": "  "})
    assert refused.status_code == 400 and "reason" in refused.context["form"].errors
    application.refresh_from_db()
    assert application.status == A.SUBMITTED

    response = client.post(withdraw, {"expected_status": A.SUBMITTED, "reason": "项目方案调整"})
    assert response.status_code == 302 and response.url == url("portal_application", pk=application.pk)
    application.refresh_from_db()
    assert application.status == A.WITHDRAWN and application.closed_reason == "项目方案调整"
    # Nothing left to withdraw: the confirmation page sends back with a message.
    response = client.get(withdraw)
    assert response.status_code == 302 and response.url == url("portal_application", pk=application.pk)


# --- 7. the edit page opens at the section saved or refused ----------------------------------------------------


def section(content: str, name: str) -> str:
    """The HTML of the edit page's section `name`, up to the next section."""
    start = content.index(f'id="{name}"')
    end = content.find("<section", start)
    return content[start : end if end != -1 else len(content)]


class TestEditSections:
    def test_saving_a_section_opens_it_with_its_message(self, world, client):
        application = applications.start_application(world.applicant, world.project, world.bundle(BUNDLE))
        client = as_user(client, world.applicant)
        edit = url("portal_edit", pk=application.pk)
        response = client.post(url("portal_save_answers", pk=application.pk), dict(START_MINIMAL))
        assert (response.status_code, response.url) == (302, f"{edit}?saved=answers#answers")
        content = client.get(response.url).content.decode()
        assert "情形回答已保存,事项和材料清单已按回答更新。" in section(content, "answers")
        assert 'role="status"' in section(content, "answers")
        assert "已保存" not in section(content, "form")

        response = client.post(url("portal_save_materials", pk=application.pk), {})
        assert response.url == f"{edit}?saved=materials#materials"
        assert "材料已保存。" in section(client.get(response.url).content.decode(), "materials")

    def test_an_error_opens_the_section_that_has_it(self, world, client):
        application = draft(world, BUNDLE, START_MINIMAL)
        client = as_user(client, world.applicant)
        merged = client.get(url("portal_edit", pk=application.pk)).context["merged_form"]
        code = next(
            code
            for code, entry in merged.entries.items()
            if entry.field.kind in (FormField.Kind.NUMBER, FormField.Kind.DECIMAL)
        )
        response = client.post(url("portal_save_form", pk=application.pk), {code: "不是数字"})
        assert response.status_code == 400 and response.context["error_section"] == "form"
        content = response.content.decode()
        # The form posts to its section's anchor, so the answer opens there; the section says what happened.
        assert f'action="{url("portal_save_form", pk=application.pk)}#form"' in content
        assert 'role="alert"' in section(content, "form") and "本节未能保存" in section(content, "form")
        assert "本节未能保存" not in section(content, "answers")

    def test_each_section_says_it_is_saved_by_its_own_button(self, world, client):
        application = draft(world, BUNDLE, START_MINIMAL)
        content = as_user(client, world.applicant).get(url("portal_edit", pk=application.pk)).content.decode()
        for name, button in (("answers", "保存回答"), ("form", "保存申请表"), ("materials", "保存材料")):
            assert f"本节单独保存:填写后请点击本节的“{button}”" in section(content, name), name


# --- 8. login link and workbench --------------------------------------------------------------------------------


class TestLoginAndWorkbench:
    def test_visitors_find_the_login_link(self, world, client):
        content = client.get(url("public_home")).content.decode()
        assert f'href="{reverse("login")}?next=/"' in content
        assert 'class="login-link"' not in client.get(reverse("login")).content.decode()

    def test_the_clerks_workbench_links_the_window_with_counts(self, world, client):
        submitted(world, BUNDLE, START_MINIMAL)
        Notification.objects.create(recipient=world.clerk, kind="t", title="一")
        response = as_user(client, world.clerk).get(reverse("home"))
        assert response.status_code == 200
        areas = {area["title"]: area for area in response.context["areas"]}
        window = areas["综合窗口"]
        assert window["url"] == url("window_queue")
        counts = {count["label"]: count for count in window["counts"]}
        assert counts["待受理"]["number"] == 1 and counts["待受理"]["url"] == url("window_queue")
        unread = Notification.objects.filter(recipient=world.clerk, read_at__isnull=True).count()
        assert unread >= 1 and areas["通知"]["counts"][0]["number"] == unread
        assert "企业服务" not in areas and "部门审批" not in areas
        assert f'href="{url("window_queue")}"' in response.content.decode()

    def test_the_reviewers_and_the_applicants_workbench(self, world, client):
        application = accepted(world, BUNDLE, START_MINIMAL)
        reviewer = world.reviewer("planning")
        review.claim_task(reviewer, task_of(application, EPP))
        areas = {a["title"]: a for a in as_user(client, reviewer).get(reverse("home")).context["areas"]}
        counts = {count["label"]: count["number"] for count in areas["部门审批"]["counts"]}
        assert counts == {"本部门办理中": 1, "我承办的": 1, "未认领": 0, "超期": 0}
        areas = {
            a["title"]: a for a in as_user(client, world.applicant).get(reverse("home")).context["areas"]
        }
        counts = {count["label"]: count["number"] for count in areas["企业服务"]["counts"]}
        assert counts["办理中"] == 1 and areas["企业服务"]["url"] == url("portal_home")

    def test_the_project_specialist_finds_the_projects_they_escort(self, client):
        user = UserFactory(username="later-specialist", roles=["project_specialist"])
        response = as_user(client, user).get(reverse("home"))
        areas = {a["title"]: a for a in response.context["areas"]}
        card = areas["我护航的项目"]
        assert card["url"] == reverse("projects:key_projects") + "?mine=on"
        assert [count["number"] for count in card["counts"]] == [0, 0, 0]

    def test_a_party_officer_without_a_post_is_told_how_to_get_one(self, client):
        user = UserFactory(username="later-party_officer", roles=["party_officer"])
        response = as_user(client, user).get(reverse("home"))
        areas = {a["title"]: a for a in response.context["areas"]}
        # Besides the notifications, only the problems' cards: anyone may report a problem.
        assert {"党建工作", "通知"} <= set(areas) <= {"党建工作", "通知", "问题闭环", "报告问题"}
        assert "请上级党组织任命" in areas["党建工作"]["description"]
        assert areas["党建工作"]["url"] == reverse("party:home")


# --- 9. the window: gap list, due dates, correction history -------------------------------------------------------


class TestWindowDetails:
    def test_gap_rows_link_to_their_application(self, world, client):
        application = submitted(world, BUNDLE, START_MINIMAL, skip={GAP})
        accept_all_materials(world, application)
        intake.accept_with_gaps(world.clerk, application, {GAP: D(2026, 6, 15)})
        content = as_user(client, world.clerk).get(url("window_gaps")).content.decode()
        assert f'<a href="{url("window_intake", pk=application.pk)}">{application.number}</a>' in content

    def test_a_due_date_is_offered_only_where_a_gap_is_tolerated(self, world, client):
        application = submitted(world, BUNDLE, START_MINIMAL)
        form = as_user(client, world.clerk).get(url("window_intake", pk=application.pk)).context["form"]
        tolerated = {
            row["code"]
            for row in form.rows
            if row["entry"] is not None and row["entry"].gap_tolerated and row["entry"].needs_submission
        }
        assert GAP in tolerated and len(form.rows) > len(tolerated)
        assert {name.removeprefix("due_") for name in form.fields if name.startswith("due_")} == tolerated

    def test_the_correction_history_names_the_materials(self, world, client):
        application = submitted(world, BUNDLE, START_MINIMAL)
        intake.request_correction(world.clerk, application, [{"material": GAP, "problem": "缺少签字"}])
        spec = application.materials.get(spec__code=GAP, is_current=True).spec
        client = as_user(client, world.clerk)
        content = client.get(url("window_intake", pk=application.pk)).content.decode()
        history = content[content.index('id="corrections-heading"') :]
        assert f"{spec.name} · " in history and f"{GAP} · " not in history
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
        content = client.get(url("window_intake", pk=application.pk)).content.decode()
        history = content[content.index('id="corrections-heading"') :]
        assert spec.name_en and f"{spec.name_en} · " in history

    def test_english_wording_of_the_intake_page(self, world, client):
        """The refusal is an action ("Refuse", not the state "Refused"); the menu and the worklist name their
        lists in the plural; a tolerated gap without a due date says the date is missing."""
        application = submitted(world, BUNDLE, START_MINIMAL, skip={GAP})
        client = as_user(client, world.clerk)
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
        content = client.get(url("window_intake", pk=application.pk)).content.decode()
        assert 'value="refuse" class="secondary">Refuse</button>' in content
        assert ">Notifications" in content
        data = {**all_accepted(application), f"verdict_{GAP}": V.TOLERATED, "outcome": "accept_with_gaps"}
        response = client.post(url("window_intake", pk=application.pk), data)
        assert response.status_code == 400
        assert "Enter the due date of the tolerated gap." in response.content.decode()


# --- 10. reassigning leaves out the current assignee ------------------------------------------------------------


def test_reassign_does_not_offer_the_current_assignee(world, client):
    application = accepted(world, BUNDLE, START_MINIMAL)
    task = task_of(application, EPP)
    reviewer, colleague = world.reviewer("planning"), world.reviewer("planning", 2)
    review.claim_task(reviewer, task)
    client = as_user(client, world.head("planning"))
    form = client.get(url("department_task", pk=task.pk)).context["reassign_form"]
    offered = set(form.fields["assignee"].queryset)
    assert colleague in offered and reviewer not in offered
    worklist = client.get(url("department_worklist"))
    row = next(row for row in worklist.context["tasks"] if row.pk == task.pk)
    values = {value for value, _label in row.reassign_form.fields["assignee"].widget.choices}
    assert colleague.pk in values and reviewer.pk not in values
    # Posting the current assignee anyway is an error on the form, not a second refusal by the service.
    response = client.post(url("department_task_reassign", pk=task.pk), {"assignee": reviewer.pk})
    assert response.status_code == 400 and "assignee" in response.context["reassign_form"].errors
    assert task_of(application, EPP).assignee == reviewer
