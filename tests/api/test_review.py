"""Review tasks in the API: the worklist in scope with filters and cursor pages (no COUNT, no N+1), the task
file, and every action of the reviewer and the head with its refusals: 400 with field errors, 403 for a role
that may not act, 404 outside the department, 409 for an illegal transition.

START_MINIMAL of start-construction splits into three tasks: the engineering-planning permit (planning, pending
from acceptance, promised 2 working days), then the drawing review and the construction permit (housing,
waiting for their prerequisites; only the permit allows a pledge).
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sciencecity.approvals.models import Certificate, ReviewTask, TaskEvent, TaskPause
from tests.approvals.conftest import START_MINIMAL, accepted, approve, claim, task_of
from tests.factories import EnterpriseFactory, ProjectFactory, applicant_of, staff

pytestmark = pytest.mark.django_db

T = ReviewTask.Status
EPP = "engineering-planning-permit"
DRAWING = "construction-drawing-review"
PERMIT = "construction-permit"


def problem_of(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


def fields_of(response) -> set[str]:
    return {error["field"] for error in problem_of(response, 400)["errors"]}


def url(task, action: str = "") -> str:
    return f"/api/v1/tasks/{task.pk}/" + (f"{action}/" if action else "")


@pytest.fixture
def application(world):
    return accepted(world, "start-construction", START_MINIMAL)


def claimed(world, application, item=EPP):
    return claim(world, application, item)


# --- the worklist -------------------------------------------------------------------------------------------


def test_a_reviewer_lists_their_departments_tasks_and_nothing_else(world, api, application):
    rows = api(world.reviewer("planning")).get("/api/v1/tasks/").json()["results"]
    assert [row["item"]["code"] for row in rows] == [EPP]
    row = rows[0]
    assert row["application"]["number"] == application.number
    assert row["application"]["project"]["name"] == "科学城芯片研发中心"
    assert row["department"]["code"] == "planning"
    assert (row["status"], row["status_display"]) == ("pending", "待认领")
    assert row["promised_deadline"] == "2026-06-03" and row["light"] == "green"
    assert row["assignee"] is None and "count" not in rows

    housing = api(world.reviewer("housing")).get("/api/v1/tasks/").json()["results"]
    assert {row["item"]["code"] for row in housing} == {DRAWING, PERMIT}
    assert all(row["light"] is None and row["promised_deadline"] is None for row in housing)
    assert api(applicant_of(EnterpriseFactory())).get("/api/v1/tasks/").json()["results"] == []


def test_tasks_without_a_deadline_come_last_and_every_page_follows_on(world, api, application):
    client = api(world.clerk)
    ids, path = [], "/api/v1/tasks/?page_size=1"
    while path:
        page = client.get(path).json()
        ids += [row["id"] for row in page["results"]]
        path = page["next"]
    assert ids == [task_of(application, code).pk for code in (EPP, DRAWING, PERMIT)]

    newest = client.get("/api/v1/tasks/?ordering=-created_at&page_size=2").json()
    follow = client.get(newest["next"]).json()
    assert len({row["id"] for row in newest["results"] + follow["results"]}) == 3


def test_the_worklist_filters(world, api, application):
    client = api(world.clerk)

    def codes(query):
        return sorted(row["item"]["code"] for row in client.get(f"/api/v1/tasks/?{query}").json()["results"])

    assert codes("status=pending") == [EPP]
    assert codes("department=housing") == [DRAWING, PERMIT]
    assert codes("light=green") == [EPP]
    assert codes("light=red") == []
    assert codes(f"application={application.pk}") == sorted([DRAWING, EPP, PERMIT])
    assert codes("bundle=start-construction&status=waiting") == [DRAWING, PERMIT]
    assert codes("bundle=joint-acceptance") == []
    claimed(world, application)
    assert codes(f"assignee={world.reviewer('planning').pk}") == [EPP]
    assert fields_of(client.get("/api/v1/tasks/?status=nonsense")) == {"status"}
    assert fields_of(client.get("/api/v1/tasks/?light=blue")) == {"light"}
    assert fields_of(client.get("/api/v1/tasks/?application=9.2e18")) == {"application"}
    assert fields_of(client.get(f"/api/v1/tasks/?application={2**64}")) == {"application"}


def test_the_worklist_counts_nothing_and_costs_the_same_for_more_tasks(world, api, application):
    client = api(world.clerk)
    client.get("/api/v1/tasks/")  # the token's first use writes its last_used_at

    def measure():
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/tasks/")
        assert response.status_code == 200
        assert not any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)
        return len(response.json()["results"]), len(queries)

    rows, few = measure()
    world.project = ProjectFactory(enterprise=world.enterprise)
    second = accepted(world, "start-construction", START_MINIMAL, key="submit-2")
    claimed(world, second)
    more_rows, more = measure()
    assert (rows, more_rows) == (3, 6)
    assert few == more


# --- the task file ------------------------------------------------------------------------------------------


def test_the_task_file_has_deadlines_pauses_history_and_the_callers_actions(world, api, application):
    task = claimed(world, application)
    client = api(world.reviewer("planning"))
    assert client.post(url(task, "opinion"), {"text": "图纸齐全"}).status_code == 201
    assert client.post(url(task, "supplement"), {"text": "请补充日照分析"}).status_code == 201

    body = client.get(url(task)).json()
    assert body["status"] == "supplement" and body["assignee_name"] == str(world.reviewer("planning"))
    assert body["legal_deadline"] == ReviewTask.objects.get(pk=task.pk).legal_deadline.isoformat()
    assert body["warning_level_display"] == "正常"
    assert [event["kind"] for event in body["events"]] == ["opinion", "supplement_request"]
    assert body["events"][0]["actor"] == str(world.reviewer("planning"))
    assert body["pauses"] == [
        {
            "id": body["pauses"][0]["id"],
            "reason": "请补充日照分析",
            "started_on": "2026-06-01",
            "ended_on": None,
        }
    ]
    assert body["light"] is None  # the clock stands still
    assert body["actions"] == []  # only the applicant answers, only the head reassigns or extends
    head = api(world.head("planning")).get(url(task)).json()
    assert set(head["actions"]) == {"reassign", "extend"}

    # The applicant reads the request they must answer, not the department's opinions.
    mine = api(world.applicant).get(url(task)).json()
    assert [event["kind"] for event in mine["events"]] == ["supplement_request"]
    assert mine["actions"] == ["answer_supplement"]


def test_another_departments_or_enterprises_task_is_404(world, api, application):
    task = task_of(application, EPP)
    problem_of(api(world.reviewer("housing")).get(url(task)), 404)
    problem_of(api(applicant_of(EnterpriseFactory())).get(url(task)), 404)
    problem_of(api(world.reviewer("housing")).post(url(task, "claim")), 404)
    problem_of(api(world.head("housing")).post(url(task, "extend"), {"days": 1, "reason": "x"}), 404)
    assert task_of(application, EPP).status == T.PENDING


def test_the_task_file_costs_the_same_however_long_its_history(world, api, application):
    task = claimed(world, application)
    client = api(world.reviewer("planning"))
    client.get(url(task))

    def measure():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(task)).status_code == 200
        return len(queries)

    few = measure()
    for n in range(3):
        client.post(url(task, "opinion"), {"text": f"意见{n}"})
    assert measure() == few


# --- the reviewer's actions -----------------------------------------------------------------------------


def test_claim_and_a_second_claim_is_409(world, api, application):
    task = task_of(application, EPP)
    response = api(world.reviewer("planning")).post(url(task, "claim"))
    assert response.status_code == 200
    assert response.json()["status"] == "in_review"
    assert response.json()["assignee"] == world.reviewer("planning").pk

    again = problem_of(api(world.reviewer("planning", 2)).post(url(task, "claim")), 409)
    assert again["code"] == "illegal_transition"
    assert ReviewTask.objects.get(pk=task.pk).assignee == world.reviewer("planning")


def test_an_applicant_may_not_claim_their_own_task(world, api, application):
    problem_of(api(world.applicant).post(url(task_of(application, EPP), "claim")), 403)


def test_opinion(world, api, application):
    task = claimed(world, application)
    client = api(world.reviewer("planning"))
    created = client.post(url(task, "opinion"), {"text": "符合规划条件"}, HTTP_IDEMPOTENCY_KEY="op-1")
    assert created.status_code == 201
    assert created.json()["kind"] == "opinion" and created.json()["text"] == "符合规划条件"
    replay = client.post(url(task, "opinion"), {"text": "符合规划条件"}, HTTP_IDEMPOTENCY_KEY="op-1")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert TaskEvent.objects.filter(task=task, kind=TaskEvent.Kind.OPINION).count() == 1

    assert fields_of(client.post(url(task, "opinion"), {"text": ""})) == {"text"}
    assert fields_of(client.post(url(task, "opinion"), {})) == {"text"}
    problem_of(api(world.reviewer("planning", 2)).post(url(task, "opinion"), {"text": "我也看看"}), 403)


def test_an_opinion_on_a_task_not_in_review_is_409(world, api, application):
    task = task_of(application, EPP)
    problem_of(api(world.reviewer("planning")).post(url(task, "opinion"), {"text": "先看看"}), 409)


def test_site_inspection(world, api, application):
    task = claimed(world, application)
    client = api(world.reviewer("planning"))
    body = {"date": "2026-06-01", "findings": "现场与图纸一致", "passed": True}
    created = client.post(url(task, "inspection"), body)
    assert created.status_code == 201
    assert created.json()["kind"] == "inspection"
    assert created.json()["data"] == {"date": "2026-06-01", "passed": True}

    assert fields_of(client.post(url(task, "inspection"), {**body, "date": "2026-06-02"})) == {"date"}
    assert fields_of(client.post(url(task, "inspection"), {"date": "明天", "findings": ""})) == {
        "date",
        "findings",
        "passed",
    }


def test_approve_issues_the_certificate_and_starts_the_dependents(world, api, application):
    task = claimed(world, application)
    response = api(world.reviewer("planning")).post(url(task, "approve"), {"opinion": "准予"})
    assert response.status_code == 200
    assert response.json()["status"] == "approved" and response.json()["decision_reason"] == "准予"
    assert Certificate.objects.filter(task=task).exists()
    assert task_of(application, DRAWING).status == T.PENDING


def test_approving_a_waiting_task_is_409(world, api, application):
    problem_of(api(world.reviewer("housing")).post(url(task_of(application, DRAWING), "approve"), {}), 409)
    assert task_of(application, DRAWING).status == T.WAITING


def test_approve_on_pledge_only_where_the_item_allows_it(world, api, application):
    task = claimed(world, application)
    refused = problem_of(api(world.reviewer("planning")).post(url(task, "approve-on-pledge"), {}), 400)
    assert refused["code"] == "pledge_not_allowed"
    approve(world, application, EPP)
    approve(world, application, DRAWING)
    permit = claimed(world, application, PERMIT)
    response = api(world.reviewer("housing")).post(url(permit, "approve-on-pledge"), {"opinion": "承诺办理"})
    assert response.status_code == 200 and response.json()["status"] == "approved_pledge"
    assert Certificate.objects.get(task=permit).on_pledge


def test_reject_needs_reasons_and_skips_the_dependents(world, api, application):
    task = claimed(world, application)
    client = api(world.reviewer("planning"))
    assert fields_of(client.post(url(task, "reject"), {"reasons": ["  "]})) == {"reasons"}
    assert fields_of(client.post(url(task, "reject"), {})) == {"reasons"}
    assert fields_of(client.post(url(task, "reject"), {"reasons": [1, 2]})) == {"reasons"}
    response = client.post(url(task, "reject"), {"reasons": ["退让不足", "容积率超标"]})
    assert response.status_code == 200
    assert response.json()["decision_reason"] == "退让不足\n容积率超标"
    assert task_of(application, DRAWING).status == T.NOT_STARTED
    problem_of(client.post(url(task, "reject"), {"reasons": "再次"}), 409)


def test_supplement_pauses_the_clock(world, api, application):
    task = claimed(world, application)
    client = api(world.reviewer("planning"))
    assert fields_of(client.post(url(task, "supplement"), {"text": ""})) == {"text"}
    created = client.post(url(task, "supplement"), {"text": "请补充日照分析报告"})
    assert created.status_code == 201
    assert created.json()["started_on"] == "2026-06-01" and created.json()["ended_on"] is None
    assert TaskPause.objects.filter(task=task, ended_on__isnull=True).count() == 1
    problem_of(client.post(url(task, "supplement"), {"text": "再补一次"}), 409)


# --- the head's actions ----------------------------------------------------------------------------------


def test_the_head_reassigns(world, api, application):
    task = claimed(world, application)
    other = world.reviewer("planning", 2)
    response = api(world.head("planning")).post(url(task, "reassign"), {"assignee": other.pk})
    assert response.status_code == 200 and response.json()["assignee"] == other.pk
    assert response.json()["events"][-1]["kind"] == "reassignment"

    head = api(world.head("planning"))
    assert fields_of(head.post(url(task, "reassign"), {"assignee": world.reviewer("housing").pk})) == {
        "assignee"
    }
    assert fields_of(head.post(url(task, "reassign"), {"assignee": "someone"})) == {"assignee"}
    assert fields_of(head.post(url(task, "reassign"), {})) == {"assignee"}


def test_a_reviewer_may_not_reassign(world, api, application):
    task = claimed(world, application)
    other = world.reviewer("planning", 2)
    problem_of(api(world.reviewer("planning")).post(url(task, "reassign"), {"assignee": other.pk}), 403)
    assert ReviewTask.objects.get(pk=task.pk).assignee == world.reviewer("planning")


def test_the_head_extends_the_deadline(world, api, application):
    task = task_of(application, EPP)
    head = api(world.head("planning"))
    response = head.post(url(task, "extend"), {"days": 3, "reason": "需征求消防意见"})
    assert response.status_code == 200
    assert response.json()["extension_days"] == 3 and response.json()["promised_deadline"] == "2026-06-08"

    assert fields_of(head.post(url(task, "extend"), {"days": 0, "reason": ""})) == {"days", "reason"}
    assert fields_of(head.post(url(task, "extend"), {"days": 61, "reason": "太久"})) == {"days"}
    problem_of(api(world.reviewer("planning")).post(url(task, "extend"), {"days": 1, "reason": "x"}), 403)
    approve(world, application, EPP)
    problem_of(head.post(url(task, "extend"), {"days": 1, "reason": "已办结"}), 409)


def test_a_supervisor_reads_every_task_and_changes_none(world, api, application):
    supervisor = api(staff("supervisor"))
    assert len(supervisor.get("/api/v1/tasks/").json()["results"]) == 3
    task = task_of(application, EPP)
    problem_of(supervisor.post(url(task, "claim")), 403)
    assert ReviewTask.objects.get(pk=task.pk).status == T.PENDING
    assert task.promised_deadline == datetime.date(2026, 6, 3)


def test_an_extension_into_a_year_the_calendar_does_not_know_is_a_400_on_days(
    world, api, application, uncomputable_2027
):
    task = task_of(application, EPP)
    head = api(world.head("planning"))
    responses = [head.post(url(task, "extend"), {"days": 60, "reason": "需要专家评审"}) for _ in range(3)]
    assert [response.status_code for response in responses[:2]] == [200, 200]
    body = problem_of(responses[2], 400)
    assert body["code"] == "unknown_calendar_year" and body["errors"][0]["field"] == "days"
    assert "2027" in body["detail"]
    assert ReviewTask.objects.get(pk=task.pk).extension_days == 120
