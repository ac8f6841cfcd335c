"""The department pages: the worklist (own department only, by deadline, lights, filters, search, a constant
number of queries), the task page (404 outside the department), the reviewer's way through claim, opinion,
inspection and decision, rejection reasons, supplement requests, and the head's reassign and extend.

The world is the demo catalog (see tests/approvals/conftest.py) with time frozen on Monday 2026-06-01; in
START_MINIMAL the planning department's 建设工程规划许可证核发 (promised 2 working days) starts when the window
accepts, and the housing department's two items wait for it.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sciencecity.approvals.models import Certificate, ReviewTask, TaskEvent, TaskPause
from tests.approvals.conftest import START_DAY, START_MINIMAL, accepted, approve, at, load_demo_world, task_of

pytestmark = pytest.mark.django_db

D = datetime.date
T = ReviewTask.Status
EPP = "engineering-planning-permit"
WORKLIST = reverse("approvals:department_worklist")


@pytest.fixture
def world(db, settings, tmp_path, time_machine):
    """The demo world of tests/approvals/conftest.py: fast passwords, files in a temporary folder, time frozen."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    at(time_machine, START_DAY)
    return load_demo_world()


def apply_on(world, time_machine, day, n):
    at(time_machine, day)
    return accepted(world, "start-construction", START_MINIMAL, key=f"submit-{n}")


def url(name, task):
    return reverse(f"approvals:{name}", kwargs={"pk": task.pk})


def as_user(client, user):
    client.force_login(user)
    return client


def rows(response) -> list[str]:
    """The application numbers of the worklist's rows, in order."""
    return [task.application.number for task in response.context["tasks"]]


@pytest.fixture
def two(world, time_machine):
    """Two applications whose planning tasks are, on Thursday 06-04, one overdue and one due tomorrow."""
    later = apply_on(world, time_machine, D(2026, 6, 3), 1)  # promised deadline Fri 06-05
    earlier = apply_on(world, time_machine, D(2026, 6, 1), 2)  # promised deadline Wed 06-03
    at(time_machine, D(2026, 6, 4))
    return earlier, later


class TestWorklist:
    def test_only_the_own_department_ordered_by_deadline_with_lights(self, world, two, client):
        earlier, later = two
        response = as_user(client, world.reviewer("planning")).get(WORKLIST)
        assert response.status_code == 200
        assert rows(response) == [earlier.number, later.number]
        assert {task.department.code for task in response.context["tasks"]} == {"planning"}
        content = response.content.decode()
        assert 'class="light red">超期' in content and 'class="light yellow">临期' in content
        for name in ("status", "light", "who", "bundle", "q"):
            assert f'<label for="filter_{name}">' in content

        housing = as_user(client, world.reviewer("housing")).get(WORKLIST)
        assert {task.department.code for task in housing.context["tasks"]} == {"housing"}
        assert {task.status for task in housing.context["tasks"]} == {T.WAITING}

    def test_filters_and_search(self, world, two, client):
        earlier, later = two
        reviewer = world.reviewer("planning")
        client = as_user(client, reviewer)
        client.post(url("department_task_claim", task_of(later, EPP)))
        assert rows(client.get(WORKLIST, {"light": "red"})) == [earlier.number]
        assert rows(client.get(WORKLIST, {"light": "yellow"})) == [later.number]
        assert rows(client.get(WORKLIST, {"status": T.IN_REVIEW})) == [later.number]
        assert rows(client.get(WORKLIST, {"status": T.PENDING})) == [earlier.number]
        assert rows(client.get(WORKLIST, {"who": "mine"})) == [later.number]
        assert rows(client.get(WORKLIST, {"who": "unclaimed"})) == [earlier.number]
        bundle = earlier.bundle_id
        assert rows(client.get(WORKLIST, {"bundle": bundle})) == [earlier.number, later.number]
        assert rows(client.get(WORKLIST, {"q": later.number})) == [later.number]
        assert rows(client.get(WORKLIST, {"q": "测试芯片"})) == [earlier.number, later.number]
        assert rows(client.get(WORKLIST, {"q": "芯片研发"})) == [earlier.number, later.number]
        assert rows(client.get(WORKLIST, {"q": "没有这个"})) == []

    def test_pages_without_counting(self, world, two, client, monkeypatch):
        earlier, later = two
        monkeypatch.setattr("sciencecity.approvals.views.department.PAGE_SIZE", 1)
        client = as_user(client, world.reviewer("planning"))
        first = client.get(WORKLIST)
        assert rows(first) == [earlier.number] and "page=2" in first.context["next_url"]
        second = client.get(first.context["next_url"])
        assert rows(second) == [later.number] and second.context["next_url"] == ""
        assert second.context["previous_url"]

    def test_the_number_of_queries_does_not_grow_with_the_rows(self, world, time_machine, client):
        # The reviewer exists first, so has unread notifications (task released) in both measurements.
        client = as_user(client, world.reviewer("planning"))
        apply_on(world, time_machine, START_DAY, 0)
        client.get(WORKLIST)  # warm up the session and permission caches
        with CaptureQueriesContext(connection) as one:
            assert len(client.get(WORKLIST).context["tasks"]) == 1
        for n in range(1, 10):
            apply_on(world, time_machine, START_DAY, n)
        with CaptureQueriesContext(connection) as ten:
            assert len(client.get(WORKLIST).context["tasks"]) == 10
        assert len(ten) == len(one)

    def test_htmx_gets_only_the_rows_and_the_browser_the_whole_page(self, world, two, client):
        earlier, later = two
        client = as_user(client, world.reviewer("planning"))
        partial = client.get(WORKLIST, {"light": "red"}, headers={"HX-Request": "true"})
        assert partial.status_code == 200 and rows(partial) == [earlier.number]
        html = partial.content.decode()
        assert html.lstrip().startswith('<section class="card results" id="worklist-results"')
        assert "<html" not in html and 'role="search"' not in html and later.number not in html
        assert "HX-Request" in partial["Vary"]

        page = client.get(WORKLIST, {"light": "red"})
        html = page.content.decode()
        assert rows(page) == [earlier.number] and "<html" in html and 'id="worklist-results"' in html
        assert 'role="search"' in html and "HX-Request" in page["Vary"]
        for attribute in (f'hx-get="{WORKLIST}"', 'hx-target="#worklist-results"', 'hx-push-url="true"'):
            assert attribute in html

    def test_needs_the_review_permission(self, world, client):
        assert as_user(client, world.applicant).get(WORKLIST).status_code == 403


class TestTaskPage:
    def test_another_departments_task_is_not_found(self, world, client):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = task_of(application, EPP)
        client = as_user(client, world.reviewer("housing"))
        assert client.get(url("department_task", task)).status_code == 404
        assert client.post(url("department_task_claim", task)).status_code == 404
        assert task_of(application, EPP).status == T.PENDING

    def test_shows_the_item_its_fields_materials_and_the_other_departments(self, world, client):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = task_of(application, EPP)
        response = as_user(client, world.reviewer("planning")).get(url("department_task", task))
        assert response.status_code == 200
        content = response.content.decode()
        assert application.number in content and str(task.item) in content
        assert world.enterprise.name in content and world.project.name in content
        assert response.context["form_entries"], "the item's fields of the merged form"
        assert all(task.item in entry.items for entry in response.context["form_entries"])
        assert response.context["materials"]
        submitted = [row for row in response.context["materials"] if row["submitted"]]
        assert submitted and any(row["submitted"].preview_kind == "pdf" for row in submitted)
        others = {other.item.code for other in response.context["other_tasks"]}
        assert others == {"construction-drawing-review", "construction-permit"}
        assert f'action="{url("department_task_claim", task)}"' in content
        assert "reassign_form" not in response.context

    def test_a_certificate_issued_earlier_in_the_application_shows_as_present_the_moment_it_is_issued(
        self, world, client
    ):
        """The construction permit needs the engineering planning permit and the drawing review certificate,
        both issued by prerequisite tasks of the same application: never reported missing."""
        application = accepted(world, "start-construction", START_MINIMAL)
        permit = task_of(application, "construction-permit")
        client = as_user(client, world.reviewer("housing"))
        waiting = client.get(url("department_task", permit)).content.decode()
        assert "由本次办理的“建设工程规划许可证核发”" in waiting  # not issued yet: who will issue it
        approve(world, application, EPP)
        certificate = Certificate.objects.get(application=application, certificate_code=EPP)
        page = client.get(url("department_task", permit)).content.decode()
        row = next(
            row
            for row in client.get(url("department_task", permit)).context["materials"]
            if row["spec"].code == EPP
        )
        assert row["certificate"] == certificate and row["submitted"] is None
        assert certificate.number in page and "由本次办理出具" in page
        assert reverse("approvals:certificate_pdf", args=[certificate.pk]) in page
        assert client.get(reverse("approvals:certificate_pdf", args=[certificate.pk])).status_code == 200

    def test_claim_opinion_inspection_approve(self, world, client):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = task_of(application, EPP)
        client = as_user(client, world.reviewer("planning"))
        response = client.post(url("department_task_claim", task), follow=True)
        assert "已认领任务" in response.content.decode()
        assert task_of(application, EPP).status == T.IN_REVIEW
        page = response.content.decode()
        for field in ("opinion_text", "inspection_date", "inspection_findings", "decision_reasons"):
            assert f'<label for="{field}">' in page
        assert (
            client.post(url("department_task_opinion", task), {"text": "符合规划条件。"}).status_code == 302
        )
        response = client.post(
            url("department_task_inspection", task),
            {"date": "2026-06-01", "findings": "现场与图纸一致。", "passed": "yes"},
        )
        assert response.status_code == 302
        kinds = list(TaskEvent.objects.filter(task=task).values_list("kind", "data"))
        assert kinds == [("opinion", {}), ("inspection", {"date": "2026-06-01", "passed": True})]
        response = client.post(url("department_task_decision", task), {"decision": "approve", "reasons": ""})
        assert response.status_code == 302
        assert task_of(application, EPP).status == T.APPROVED
        page = client.get(url("department_task", task)).content.decode()
        assert "现场与图纸一致" in page and "符合规划条件" in page
        assert task_of(application, "construction-drawing-review").status == T.PENDING

    def test_an_inspection_in_the_future_is_refused_on_the_form(self, world, client):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = task_of(application, EPP)
        client = as_user(client, world.reviewer("planning"))
        client.post(url("department_task_claim", task))
        response = client.post(
            url("department_task_inspection", task),
            {"date": "2026-06-09", "findings": "现场", "passed": "no"},
        )
        assert response.status_code == 400
        assert "不晚于今天" in response.content.decode()
        # Nor one before the application existed (the probe's 0001-01-01).
        for day in ("0001-01-01", "2026-05-29"):
            response = client.post(
                url("department_task_inspection", task), {"date": day, "findings": "现场", "passed": "no"}
            )
            assert (
                response.status_code == 400 and "不早于提交申请之日 2026-06-01" in response.content.decode()
            )
        assert not task.events.filter(kind="inspection").exists()

    def test_a_rejection_needs_reasons(self, world, client):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = task_of(application, EPP)
        client = as_user(client, world.reviewer("planning"))
        client.post(url("department_task_claim", task))
        response = client.post(url("department_task_decision", task), {"decision": "reject", "reasons": " "})
        assert response.status_code == 400
        assert "请填写不予许可的理由" in response.content.decode()
        assert task_of(application, EPP).status == T.IN_REVIEW
        response = client.post(
            url("department_task_decision", task), {"decision": "reject", "reasons": "不符合控制性详细规划"}
        )
        assert response.status_code == 302
        task = task_of(application, EPP)
        assert (task.status, task.decision_reason) == (T.REJECTED, "不符合控制性详细规划")

    def test_pledge_is_offered_only_where_the_item_allows_it(self, world, client):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = task_of(application, EPP)
        client = as_user(client, world.reviewer("planning"))
        client.post(url("department_task_claim", task))
        form = client.get(url("department_task", task)).context["decision_form"]
        offered = {value for value, _label in form.fields["decision"].choices}
        assert ("approve_on_pledge" in offered) == task.item.pledge_allowed
        if not task.item.pledge_allowed:
            response = client.post(url("department_task_decision", task), {"decision": "approve_on_pledge"})
            assert response.status_code == 400
            assert task_of(application, EPP).status == T.IN_REVIEW

    def test_supplement_request(self, world, client):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = task_of(application, EPP)
        client = as_user(client, world.reviewer("planning"))
        client.post(url("department_task_claim", task))
        assert client.post(url("department_task_supplement", task), {"text": ""}).status_code == 400
        response = client.post(url("department_task_supplement", task), {"text": "请补充坐标成果表"})
        assert response.status_code == 302
        assert task_of(application, EPP).status == T.SUPPLEMENT
        assert TaskPause.objects.get(task=task).ended_on is None

    def test_a_service_refusal_is_a_message_not_an_error(self, world, client):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = task_of(application, EPP)
        as_user(client, world.reviewer("planning")).post(url("department_task_claim", task))
        other = as_user(client, world.reviewer("planning", 2))
        response = other.post(url("department_task_claim", task), follow=True)
        assert response.status_code == 200
        assert "不能执行“认领”" in response.content.decode()
        assert task_of(application, EPP).assignee == world.reviewer("planning")
        # Not the assignee: the opinion is refused with a message.
        response = other.post(url("department_task_opinion", task), {"text": "意见"}, follow=True)
        assert "只有该任务的承办人可以办理" in response.content.decode()
        assert not TaskEvent.objects.filter(task=task).exists()


class TestHead:
    def test_the_head_reassigns_and_extends(self, world, client):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = task_of(application, EPP)
        colleague = world.reviewer("planning", 2)
        world.reviewer("housing")  # not offered: another department
        client = as_user(client, world.head("planning"))
        page = client.get(url("department_task", task))
        content = page.content.decode()
        assert '<label for="reassign_assignee">' in content and '<label for="extend_reason">' in content
        offered = set(page.context["reassign_form"].fields["assignee"].queryset)
        assert colleague in offered and world.reviewer("housing") not in offered

        assert (
            client.post(url("department_task_reassign", task), {"assignee": colleague.pk}).status_code == 302
        )
        task = task_of(application, EPP)
        assert (task.status, task.assignee) == (T.IN_REVIEW, colleague)

        response = client.post(url("department_task_extend", task), {"days": "3", "reason": ""})
        assert response.status_code == 400
        assert 'class="error"' in response.content.decode()
        assert task_of(application, EPP).extension_days == 0
        response = client.post(url("department_task_extend", task), {"days": "3", "reason": "需组织专家论证"})
        assert response.status_code == 302
        task = task_of(application, EPP)
        assert (task.extension_days, task.promised_deadline) == (3, D(2026, 6, 8))
        assert task.events.filter(kind=TaskEvent.Kind.EXTENSION, text="需组织专家论证").exists()

    def test_a_reviewer_sees_no_head_forms_and_is_refused(self, world, client):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = task_of(application, EPP)
        client = as_user(client, world.reviewer("planning"))
        page = client.get(url("department_task", task))
        assert "reassign_form" not in page.context and "extend_form" not in page.context
        assert "reassign_assignee" not in page.content.decode()
        colleague = world.reviewer("planning", 2)
        assert (
            client.post(url("department_task_reassign", task), {"assignee": colleague.pk}).status_code == 403
        )
        assert (
            client.post(url("department_task_extend", task), {"days": "3", "reason": "x"}).status_code == 403
        )
        task = task_of(application, EPP)
        assert (task.assignee, task.extension_days) == (None, 0)

    def test_another_departments_head_does_not_find_the_task(self, world, client):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = task_of(application, EPP)
        client = as_user(client, world.head("housing"))
        response = client.post(url("department_task_extend", task), {"days": "3", "reason": "x"})
        assert response.status_code == 404


class TestHeadOnTheWorklist:
    """The head's reassign and extend, folded in each running row of the worklist, post to the task's own
    views and come back to the worklist (with its filters) on success."""

    def test_each_running_row_has_its_own_forms_for_the_head_only(self, world, two, client):
        earlier, later = two
        colleague = world.reviewer("planning", 2)
        page = as_user(client, world.head("planning")).get(WORKLIST)
        content = page.content.decode()
        for application in (earlier, later):
            task = task_of(application, EPP)
            assert f'action="{url("department_task_reassign", task)}"' in content
            assert f'action="{url("department_task_extend", task)}"' in content
            assert f'<label for="reassign_{task.pk}_assignee">' in content
            assert f'<label for="extend_{task.pk}_reason">' in content
        assert content.count('<details class="row-actions">') == 2
        assert f'<option value="{colleague.pk}">' in content
        assert 'name="next" value="/department/"' in content

        content = as_user(client, world.reviewer("planning")).get(WORKLIST).content.decode()
        assert "row-actions" not in content and "department_task_reassign" not in content

    def test_reassign_and_extend_come_back_to_the_filtered_worklist(self, world, two, client):
        earlier, _later = two
        task = task_of(earlier, EPP)
        colleague = world.reviewer("planning", 2)
        client = as_user(client, world.head("planning"))
        back = f"{WORKLIST}?light=red"
        response = client.post(
            url("department_task_reassign", task), {"assignee": colleague.pk, "next": back}
        )
        assert response.status_code == 302 and response.url == back
        assert task_of(earlier, EPP).assignee == colleague
        response = client.post(
            url("department_task_extend", task), {"days": "2", "reason": "需组织专家论证", "next": back}
        )
        assert response.status_code == 302 and response.url == back
        assert task_of(earlier, EPP).extension_days == 2
        assert "已延长期限。" in client.get(back).content.decode()

    def test_errors_show_on_the_task_page_and_foreign_addresses_are_ignored(self, world, two, client):
        earlier, _later = two
        task = task_of(earlier, EPP)
        client = as_user(client, world.head("planning"))
        response = client.post(
            url("department_task_extend", task), {"days": "2", "reason": "", "next": WORKLIST}
        )
        assert response.status_code == 400 and 'class="error"' in response.content.decode()
        assert task_of(earlier, EPP).extension_days == 0
        response = client.post(
            url("department_task_extend", task),
            {"days": "1", "reason": "专家论证", "next": "https://elsewhere.example/"},
        )
        assert response.status_code == 302 and response.url == url("department_task", task)

    def test_the_number_of_queries_does_not_grow_with_the_rows(self, world, time_machine, client):
        client = as_user(client, world.head("planning"))
        world.reviewer("planning", 2)
        apply_on(world, time_machine, START_DAY, 0)
        client.get(WORKLIST)  # warm up the session and permission caches
        with CaptureQueriesContext(connection) as one:
            assert len(client.get(WORKLIST).context["tasks"]) == 1
        for n in range(1, 10):
            apply_on(world, time_machine, START_DAY, n)
        with CaptureQueriesContext(connection) as ten:
            response = client.get(WORKLIST)
        assert len(response.context["tasks"]) == 10
        assert response.content.decode().count('<details class="row-actions">') == 10
        assert len(ten) == len(one), [query["sql"] for query in ten.captured_queries]
