"""Certificates, their PDF, revocation and public verification; notifications; rating follow-ups; the reform
report and the leaders' overview; audit events and departments, through the API.

The certificates come from approving the engineering-planning permit of START_MINIMAL (planning department);
a poor rating of the concluded application opens a follow-up for the bundle's lead department (housing).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from sciencecity.approvals.models import Application, Certificate
from sciencecity.notifications.models import Notification
from sciencecity.problems.models import Problem
from tests.approvals.conftest import START_MINIMAL, accepted, approve, approve_all
from tests.factories import EnterpriseFactory, ProjectFactory, applicant_of, staff

pytestmark = pytest.mark.django_db

EPP = "engineering-planning-permit"


def problem_of(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


def fields_of(response) -> set[str]:
    return {error["field"] for error in problem_of(response, 400)["errors"]}


def no_count_and_constant(client, path, grow):
    """The list at `path` issues no COUNT and as many queries after `grow()` adds rows as before."""
    client.get(path)  # the token's first use writes its last_used_at

    def measure():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200
        assert not any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)
        return len(response.json()["results"]), len(queries)

    rows, few = measure()
    grow()
    more_rows, more = measure()
    assert more_rows > rows > 0
    assert more == few


@pytest.fixture
def certificate(world):
    application = accepted(world, "start-construction", START_MINIMAL)
    approve(world, application, EPP)
    return Certificate.objects.get(application=application)


@pytest.fixture
def delivered(certificate):
    """The certificate as its holder sees it: its application handed out by the window (窗口统一出件; the
    shortcut stands for the rest of the review and the delivery, which these tests do not need)."""
    Application.objects.filter(pk=certificate.application_id).update(status=Application.Status.DELIVERED)
    return certificate


def another_certificate(world):
    world.project = ProjectFactory(enterprise=world.enterprise)
    application = accepted(world, "start-construction", START_MINIMAL, key=f"submit-{world.project.pk}")
    approve(world, application, EPP)


# --- certificates -------------------------------------------------------------------------------------------


def test_certificates_are_listed_in_scope(world, api, delivered):
    certificate = delivered
    rows = api(world.applicant).get("/api/v1/certificates/").json()["results"]
    assert [row["number"] for row in rows] == [certificate.number]
    row = rows[0]
    assert row["status"] == "valid" and row["status_display"] == "有效"
    assert row["item"] == EPP and row["department"]["code"] == "planning"
    assert row["application"]["number"] == certificate.application.number
    assert row["verification_url"].endswith(f"/verify/{certificate.verification_code}/")

    assert len(api(world.reviewer("planning")).get("/api/v1/certificates/").json()["results"]) == 1
    # Housing reviews this project too (its tasks wait for the permit): it reads the project's certificates;
    # a department with no task on the project does not.
    assert len(api(world.reviewer("housing")).get("/api/v1/certificates/").json()["results"]) == 1
    assert api(world.reviewer("police")).get("/api/v1/certificates/").json()["results"] == []
    stranger = api(applicant_of(EnterpriseFactory()))
    assert stranger.get("/api/v1/certificates/").json()["results"] == []
    problem_of(stranger.get(f"/api/v1/certificates/{certificate.pk}/"), 404)
    problem_of(api(world.reviewer("police")).get(f"/api/v1/certificates/{certificate.pk}/"), 404)


def test_certificates_filter(world, api, certificate):
    client = api(world.clerk)

    def count(query):
        return len(client.get(f"/api/v1/certificates/?{query}").json()["results"])

    assert count(f"application={certificate.application_id}") == 1
    assert count(f"project={certificate.project_id}") == 1
    assert count("certificate_code=engineering-planning-permit") == 1
    assert count("certificate_code=construction-permit") == 0
    assert count("status=revoked") == 0
    assert fields_of(client.get("/api/v1/certificates/?status=lost")) == {"status"}
    assert fields_of(client.get("/api/v1/certificates/?application=abc")) == {"application"}


def test_the_certificate_list_counts_nothing_and_costs_the_same_for_more(world, api, certificate):
    no_count_and_constant(api(world.clerk), "/api/v1/certificates/", lambda: another_certificate(world))


def test_the_pdf_is_a_pdf_in_scope(world, api, delivered):
    certificate = delivered
    response = api(world.applicant).get(f"/api/v1/certificates/{certificate.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"{certificate.number}.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")

    asked = api(world.applicant).get(
        f"/api/v1/certificates/{certificate.pk}/pdf/", HTTP_ACCEPT="application/pdf"
    )
    assert asked.status_code == 200 and asked["Content-Type"] == "application/pdf"
    problem_of(api(applicant_of(EnterpriseFactory())).get(f"/api/v1/certificates/{certificate.pk}/pdf/"), 404)


def test_an_administrator_revokes_and_verification_says_so(world, api, certificate):
    anonymous = APIClient()
    path = f"/api/v1/certificates/verify/{certificate.verification_code}/"
    valid = anonymous.get(path)
    assert valid.status_code == 200
    assert valid["X-Robots-Tag"] == "noindex, nofollow" and "no-cache" in valid["Cache-Control"]
    facts = valid.json()
    assert facts["is_valid"] is True and facts["number"] == certificate.number
    assert facts["enterprise"] == "重庆测试芯片科技有限公司" and facts["project"] == "科学城芯片研发中心"
    assert set(facts) == {
        "is_valid",
        "status",
        "status_display",
        "name",
        "number",
        "department",
        "issued_at",
        "valid_until",
        "on_pledge",
        "enterprise",
        "project",
        "kind",
        "permits",  # an industry licence's permits (一业一证); none for an item's certificate
    }
    assert facts["kind"] == "item" and facts["permits"] == []
    assert str(world.applicant) not in valid.content.decode() and "023-65001234" not in valid.content.decode()

    admin = api(world.admin)
    revoked = admin.post(f"/api/v1/certificates/{certificate.pk}/revoke/", {"reason": "以欺骗手段取得"})
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    facts = anonymous.get(path).json()
    assert facts["is_valid"] is False and facts["status"] == "revoked" and facts["status_display"] == "已撤销"

    again = problem_of(admin.post(f"/api/v1/certificates/{certificate.pk}/revoke/", {"reason": "再撤"}), 409)
    assert again["code"] == "illegal_transition"


def test_revocation_needs_a_reason_and_an_administrator(world, api, delivered):
    certificate = delivered
    path = f"/api/v1/certificates/{certificate.pk}/revoke/"
    assert fields_of(api(world.admin).post(path, {"reason": ""})) == {"reason"}
    assert fields_of(api(world.admin).post(path, {})) == {"reason"}
    problem_of(api(world.applicant).post(path, {"reason": "不想要了"}), 403)
    problem_of(api(world.clerk).post(path, {"reason": "窗口撤销"}), 403)
    problem_of(api(applicant_of(EnterpriseFactory())).post(path, {"reason": "别人的"}), 404)
    assert Certificate.objects.get(pk=certificate.pk).status == Certificate.Status.VALID


def test_an_unknown_verification_code_is_404(db):
    problem_of(APIClient().get("/api/v1/certificates/verify/no-such-code/"), 404)
    problem_of(APIClient().get(f"/api/v1/certificates/verify/{'x' * 40}/"), 404)


# --- notifications -----------------------------------------------------------------------------------------


def test_notifications_are_the_callers_own_and_are_marked_read(world, api, certificate):
    client = api(world.applicant)
    rows = client.get("/api/v1/notifications/").json()["results"]
    kinds = [row["kind"] for row in rows]
    assert "task_decided" in kinds and "application_accepted" in kinds
    assert all(row["is_read"] is False for row in rows)
    assert rows[0]["application"]["number"] == certificate.application.number

    first = rows[0]["id"]
    read = client.post(f"/api/v1/notifications/{first}/read/")
    assert read.status_code == 200 and read.json()["is_read"] is True and read.json()["read_at"]
    unread = client.get("/api/v1/notifications/?unread=true").json()["results"]
    assert first not in [row["id"] for row in unread] and len(unread) == len(rows) - 1

    clerks = Notification.objects.filter(recipient=world.clerk).first()
    problem_of(client.post(f"/api/v1/notifications/{clerks.pk}/read/"), 404)
    problem_of(client.get(f"/api/v1/notifications/{clerks.pk}/"), 404)

    marked = client.post("/api/v1/notifications/read-all/")
    assert marked.status_code == 200 and marked.json() == {"marked": len(rows) - 1}
    assert client.get("/api/v1/notifications/?unread=true").json()["results"] == []
    assert Notification.objects.get(pk=clerks.pk).read_at is None


def test_the_notification_list_counts_nothing_and_costs_the_same_for_more(world, api, certificate):
    no_count_and_constant(api(world.applicant), "/api/v1/notifications/", lambda: another_certificate(world))


def test_unread_notifications_per_kind_and_a_kind_marked_read(world, api, certificate):
    client = api(world.applicant)
    mine = Notification.objects.filter(recipient=world.applicant, read_at__isnull=True)
    kinds = client.get("/api/v1/notifications/kinds/")
    assert kinds.status_code == 200
    counted = {row["kind"]: row["unread"] for row in kinds.json()}
    assert counted == {kind: mine.filter(kind=kind).count() for kind in mine.values_list("kind", flat=True)}
    assert {"task_decided", "application_accepted"} <= set(counted)
    labels = {row["kind"]: row["label"] for row in kinds.json()}
    assert labels["task_decided"] == "审批决定"
    english = client.get("/api/v1/notifications/kinds/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert {row["kind"]: row["label"] for row in english}["task_decided"] != "审批决定"
    row = client.get("/api/v1/notifications/?kind=task_decided").json()["results"][0]
    assert (row["kind"], row["kind_display"]) == ("task_decided", "审批决定")

    clerks = Notification.objects.filter(recipient=world.clerk, read_at__isnull=True).count()
    marked = client.post("/api/v1/notifications/read-all/", {"kind": "task_decided"}, format="json")
    assert marked.status_code == 200 and marked.json() == {"marked": counted["task_decided"]}
    assert not mine.filter(kind="task_decided").exists()
    assert mine.filter(kind="application_accepted").exists()
    assert "task_decided" not in {row["kind"] for row in client.get("/api/v1/notifications/kinds/").json()}
    assert Notification.objects.filter(recipient=world.clerk, read_at__isnull=True).count() == clerks

    assert fields_of(
        client.post("/api/v1/notifications/read-all/", {"kind": "no-such-kind"}, format="json")
    ) == {"kind"}
    assert fields_of(client.post("/api/v1/notifications/read-all/", {"kind": "x" * 41}, format="json")) == {
        "kind"
    }
    everything = client.post("/api/v1/notifications/read-all/", {"kind": ""}, format="json")
    assert everything.json() == {"marked": sum(counted.values()) - counted["task_decided"]}
    assert client.get("/api/v1/notifications/kinds/").json() == []


def test_the_unread_counts_per_kind_cost_the_same_for_more(world, api, certificate):
    client = api(world.applicant)
    client.get("/api/v1/notifications/kinds/")  # the token's first use writes its last_used_at
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/notifications/kinds/")
    another_certificate(world)
    Notification.objects.bulk_create(
        Notification(recipient=world.applicant, kind=kind, title="多") for kind in ("delivered", "x") * 20
    )
    with CaptureQueriesContext(connection) as many:
        rows = client.get("/api/v1/notifications/kinds/").json()
    assert {"delivered", "x"} <= {row["kind"] for row in rows}
    assert len(many) == len(few)


# --- a poor rating's problem (差评整改) ---------------------------------------------------------------------


@pytest.fixture
def poorly_rated(world, api):
    application = accepted(world, "start-construction", START_MINIMAL)
    approve_all(world, application)
    rated = api(world.applicant).post(
        f"/api/v1/applications/{application.pk}/rating/", {"score": 1, "comment": "等了太久"}, format="json"
    )
    assert rated.status_code == 201
    return application


def test_a_poor_rating_opens_a_problem_that_closes_in_the_problems_loop(world, api, poorly_rated):
    applicant = api(world.applicant)
    rating = applicant.get(f"/api/v1/applications/{poorly_rated.pk}/").json()["rating"]
    opened = rating["problem"]
    assert opened["status"] == "dispatched" and opened["number"].startswith("WT")
    path = f"/api/v1/problems/{opened['id']}/"
    head = api(world.head("housing"))
    shown = head.get(path).json()
    assert shown["source"] == "service_rating" and "等了太久" in shown["description"]
    assert head.post(path + "accept/", {}, format="json").status_code == 200
    # The category asks for no photo: what was done is enough.
    assert head.post(path + "rectify/", {"note": "已约谈经办人并优化流程"}, format="json").status_code == 200
    problem_of(head.post(path + "verify/", {"passed": True}, format="json"), 403)  # the rater verifies
    closed = applicant.post(path + "verify/", {"passed": True, "note": "回访属实"}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    detail = applicant.get(f"/api/v1/applications/{poorly_rated.pk}/").json()
    assert detail["rating"]["problem"]["status"] == "closed"


def test_a_poor_ratings_problem_is_out_of_scope_for_other_departments_and_enterprises(
    world, api, poorly_rated
):
    opened = api(world.applicant).get(f"/api/v1/applications/{poorly_rated.pk}/").json()["rating"]["problem"]
    path = f"/api/v1/problems/{opened['id']}/"
    problem_of(api(world.head("planning")).get(path), 404)
    problem_of(api(world.reviewer("planning")).post(path + "accept/", {}, format="json"), 404)
    problem_of(api(applicant_of(EnterpriseFactory())).get(path), 404)
    supervisor = api(staff("supervisor"))
    assert supervisor.get(path).status_code == 200
    problem_of(supervisor.post(path + "accept/", {}, format="json"), 403)
    assert Problem.objects.get(pk=opened["id"]).status == Problem.Status.DISPATCHED


# --- reports ------------------------------------------------------------------------------------------------


def test_the_overview_is_for_leaders_supervisors_and_administrators(world, api, certificate):
    body = api(staff("leader")).get("/api/v1/reports/overview/").json()
    assert body["today"] == "2026-06-01"
    by_status = {row["status"]: row["count"] for row in body["applications_by_status"]}
    assert by_status["in_review"] == 1 and sum(by_status.values()) == 1
    assert body["applications_by_bundle"][0]["code"] == "start-construction"
    assert body["applications_by_bundle"][0]["counts"] == {"in_review": 1}
    departments = {row["code"]: row for row in body["tasks_by_department"]}
    assert departments["housing"]["open"] == 2
    # The construction bundles among those of the catalog (the others: 交地即领证, 一业一证; and 三评合一).
    bundles = {row["code"] for row in body["reform"] if row["kind"] == "bundle"}
    assert {"joint-acceptance", "start-construction"} <= bundles
    assert body["reference"] == {"steps_saved": 14, "materials_reduction_pct": 25, "time_reduction_pct": 70}
    assert body["elapsed"]["total"]["concluded"] == 0

    assert api(staff("supervisor")).get("/api/v1/reports/overview/").status_code == 200
    assert api(world.admin).get("/api/v1/reports/overview/").status_code == 200
    problem_of(api(world.applicant).get("/api/v1/reports/overview/"), 403)
    problem_of(api(world.clerk).get("/api/v1/reports/overview/"), 403)
    problem_of(api(world.head("housing")).get("/api/v1/reports/overview/"), 403)
    problem_of(APIClient().get("/api/v1/reports/overview/"), 401)


def test_the_reform_report_of_a_bundle(world, api):
    application = accepted(world, "start-construction", START_MINIMAL)
    approve_all(world, application)
    leader = api(staff("leader"))
    body = leader.get("/api/v1/reports/reform/?bundle=start-construction").json()
    assert (
        body["bundle"]["code"] == "start-construction" and body["bundle"]["version"] == world.version.number
    )
    assert [scenario["key"] for scenario in body["scenarios"]] == ["mandatory", "all"]
    scenario = body["scenarios"][0]
    assert scenario["steps_saved"] == scenario["separately"]["steps"] - scenario["bundled"]["steps"]
    assert isinstance(scenario["time_reduction_pct"], int | float)
    assert body["actuals"]["applications"] == 1 and body["actuals"]["concluded"] == 1
    assert {item["code"] for item in body["actuals"]["items"]} >= {EPP}

    versioned = leader.get(
        f"/api/v1/reports/reform/?bundle=start-construction&version={world.version.number}"
    )
    assert versioned.status_code == 200
    assert fields_of(leader.get("/api/v1/reports/reform/")) == {"bundle"}
    assert fields_of(leader.get("/api/v1/reports/reform/?bundle=start-construction&version=x")) == {"version"}
    problem_of(leader.get("/api/v1/reports/reform/?bundle=no-such-bundle"), 404)
    problem_of(leader.get("/api/v1/reports/reform/?bundle=start-construction&version=99"), 404)
    problem_of(api(world.applicant).get("/api/v1/reports/reform/?bundle=start-construction"), 403)


# --- audit events -------------------------------------------------------------------------------------------


def test_audit_events_of_a_record_for_supervisors_and_their_own_for_others(world, api, certificate):
    application = certificate.application
    supervisor = api(staff("supervisor"))
    query = f"target_type=approvals.application&target_id={application.pk}"
    rows = supervisor.get(f"/api/v1/audit-events/?{query}").json()["results"]
    actions = [row["action"] for row in rows]
    assert "approvals.submit_application" in actions and "approvals.accept_application" in actions
    assert all(row["target_type"] == "approvals.application" for row in rows)
    submitted = next(row for row in rows if row["action"] == "approvals.submit_application")
    assert submitted["actor"] == world.applicant.pk and submitted["action_display"] == "提交"

    claims = supervisor.get(
        f"/api/v1/audit-events/?action=approvals.claim_task&actor={world.reviewer('planning').pk}"
    )
    assert [row["target_id"] for row in claims.json()["results"]] == [str(certificate.task_id)]

    mine = api(world.applicant).get("/api/v1/audit-events/").json()["results"]
    assert mine and all(row["actor"] == world.applicant.pk for row in mine)
    clerks_event = next(row["id"] for row in rows if row["actor"] == world.clerk.pk)
    problem_of(api(world.applicant).get(f"/api/v1/audit-events/{clerks_event}/"), 404)
    assert fields_of(supervisor.get("/api/v1/audit-events/?target_type=application")) == {"target_type"}
    assert fields_of(supervisor.get("/api/v1/audit-events/?actor=1.5")) == {"actor"}


def test_the_audit_list_counts_nothing_and_costs_the_same_for_more(world, api, certificate):
    no_count_and_constant(
        api(staff("supervisor")), "/api/v1/audit-events/", lambda: another_certificate(world)
    )


# --- departments -----------------------------------------------------------------------------------------


def test_departments_are_public_and_read_only(world, api):
    anonymous = APIClient()
    rows = anonymous.get("/api/v1/departments/?page_size=200").json()["results"]
    codes = [row["code"] for row in rows]
    assert codes == sorted(codes) and {"planning", "housing", "window"} <= set(codes)
    planning = next(row for row in rows if row["code"] == "planning")
    assert planning["name"] == world.departments["planning"].name and planning["kind"] == "government"
    assert anonymous.get(f"/api/v1/departments/{planning['id']}/").json()["code"] == "planning"
    assert [row["code"] for row in anonymous.get("/api/v1/departments/?code=window").json()["results"]] == [
        "window"
    ]
    assert anonymous.post("/api/v1/departments/", {"code": "x", "name": "新部门"}).status_code == 405


def test_each_departments_figure_of_the_overview_is_a_task_list(world, api, certificate):
    """`/api/v1/tasks/?department=<code>&state=<open|overdue|escalated>` lists what the overview counts."""
    leader = api(staff("leader"))
    body = leader.get("/api/v1/reports/overview/").json()
    checked = 0
    for row in body["tasks_by_department"]:
        for state in ("open", "overdue", "escalated"):
            listed = leader.get("/api/v1/tasks/", {"department": row["code"], "state": state, "limit": 200})
            assert listed.status_code == 200
            assert len(listed.json()["results"]) == row[state], (row["code"], state)
            checked += row[state]
    assert checked >= 2
    assert leader.get("/api/v1/tasks/", {"state": "nonsense"}).status_code == 400
