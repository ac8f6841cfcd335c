"""The applications API: the applicant's side, the window's intake, gap follow-up and delivery, each endpoint
through HTTP: success, field errors (400), another enterprise's application (404), a role that may not act
(403), an illegal transition (409), uploads refused by size (413) or type (415), Idempotency-Key on start and
submit, and lists that never count and read a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sciencecity.approvals.models import Application, ReviewTask, SubmittedMaterial
from sciencecity.approvals.services import applications, review
from sciencecity.audit.models import AuditEvent
from sciencecity.catalog.models import FormField, MaterialSpec
from tests.approvals.conftest import (
    FILLERS,
    SAMPLES,
    START_ALL,
    START_MINIMAL,
    accept_all_materials,
    accepted,
    approve,
    approve_all,
    draft,
    submitted,
    task_of,
    upload,
    upload_for,
)
from tests.factories import EnterpriseFactory, ProjectFactory, applicant_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/applications/"
A = Application.Status
V = SubmittedMaterial.Verdict
GAP = "quality-safety-measures"  # tolerated as a gap by the construction permit
PLEDGEABLE = "funding-pledge"


def url(application, action: str = "") -> str:
    return f"{URL}{application.pk}/" + (f"{action}/" if action else "")


def problem_of(response, status: int):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json", response.content
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def fields_of(body) -> set[str]:
    return {error["field"] for error in body.get("errors", [])}


def spec(world, code) -> MaterialSpec:
    return MaterialSpec.objects.get(version=world.version, code=code)


def other_enterprises_application(world):
    """A draft of another enterprise, for the 404 checks."""
    stranger = EnterpriseFactory()
    applicant = applicant_of(stranger)
    project = ProjectFactory(enterprise=stranger)
    return applications.start_application(applicant, project, world.bundle("start-construction"))


# --- the applicant's way, start to submission ------------------------------------------------------------------


def test_an_applicant_starts_answers_fills_provides_and_submits(world, api):
    client = api(world.applicant)
    bundle = world.bundle("start-construction")
    start = {"project": world.project.pk, "bundle": bundle.pk}

    created = client.post(URL, start, format="json", HTTP_IDEMPOTENCY_KEY="start-1")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["status_display"], body["bundle"]["code"]) == ("draft", "草稿", bundle.code)
    assert body["project"]["id"] == world.project.pk and body["enterprise"]["id"] == world.enterprise.pk
    again = client.post(URL, start, format="json", HTTP_IDEMPOTENCY_KEY="start-1")
    assert again.status_code == 201 and again.json()["id"] == body["id"]
    assert Application.objects.filter(enterprise=world.enterprise).count() == 1
    application = Application.objects.get(pk=body["id"])
    assert application.creation_key == "start-1"

    answered = client.put(url(application, "answers"), {"answers": START_MINIMAL}, format="json")
    assert answered.status_code == 200 and answered.json()["answers"]["occupy_road"] == "no"

    needs = client.get(url(application, "requirements"))
    assert needs.status_code == 200
    requirements = needs.json()
    assert {item["code"] for item in requirements["items"]} == {
        "engineering-planning-permit",
        "construction-drawing-review",
        "construction-permit",
    }
    notice = {entry["code"]: entry for entry in requirements["notice"]}
    assert notice[PLEDGEABLE]["pledge_allowed"] and notice[GAP]["gap_tolerated"]
    data = {}
    for entry in requirements["form"]:
        if entry["required"] and entry["value"] in (None, ""):
            kind = entry["kind"]
            data[entry["code"]] = (
                entry["choices"][0]["value"] if kind == FormField.Kind.CHOICE else FILLERS[kind]
            )
    assert data, "the demo bundle asks for something the registries do not hold"
    filled = client.put(url(application, "form"), {"data": data}, format="json")
    assert filled.status_code == 200
    assert set(data) <= set(filled.json()["form_data"])

    pledged = client.post(url(application, "pledges"), {"spec_code": PLEDGEABLE}, format="json")
    assert pledged.status_code == 201 and pledged.json()["source"] == "pledge"
    for code, entry in notice.items():
        if entry["needs_submission"] and code != PLEDGEABLE:
            uploaded = client.post(
                url(application, "materials"),
                {"spec_code": code, "file": upload_for(spec(world, code))},
                format="multipart",
            )
            assert uploaded.status_code == 201, uploaded.content
            assert uploaded.json()["spec"] == code and uploaded.json()["verdict"] == "pending"

    first = client.post(url(application, "submit"), HTTP_IDEMPOTENCY_KEY="submit-1")
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "submitted" and first.json()["intake_deadline"]
    retried = client.post(url(application, "submit"), HTTP_IDEMPOTENCY_KEY="submit-1")
    assert retried.status_code == 200 and retried.json()["number"] == first.json()["number"]
    application.refresh_from_db()
    assert application.submission_count == 1
    assert (
        AuditEvent.objects.filter(
            action="approvals.submit_application", target_id=str(application.pk)
        ).count()
        == 1
    )
    # Without the same key a second submission is a new attempt, which the state refuses.
    assert problem_of(client.post(url(application, "submit")), 409)["code"] == "illegal_transition"

    detail = client.get(url(application)).json()
    assert detail["status_display"] == "待受理" and detail["submission_count"] == 1
    materials = {row["spec"]: row for row in detail["materials"]}
    assert materials[PLEDGEABLE]["source"] == "pledge" and "submit" not in detail["actions"]
    downloaded = client.get(url(application, f"materials/{materials['land-title']['id']}/file"))
    assert downloaded.status_code == 200 and downloaded["Cache-Control"] == "private, no-store"
    assert b"".join(downloaded.streaming_content).startswith(b"%PDF")
    asked_as_pdf = client.get(
        url(application, f"materials/{materials['land-title']['id']}/file"), HTTP_ACCEPT="application/pdf"
    )
    assert asked_as_pdf.status_code == 200 and asked_as_pdf["Content-Type"] == "application/pdf"
    no_file = client.get(url(application, f"materials/{materials[PLEDGEABLE]['id']}/file"))
    assert problem_of(no_file, 404)["detail"] == "该材料没有文件。"


def test_start_refuses_bad_input_and_projects_of_others(world, api):
    client = api(world.applicant)
    missing = problem_of(client.post(URL, {"project": world.project.pk}, format="json"), 400)
    assert fields_of(missing) == {"bundle"}
    others = ProjectFactory()
    refused = problem_of(
        client.post(
            URL, {"project": others.pk, "bundle": world.bundle("start-construction").pk}, format="json"
        ),
        400,
    )
    assert fields_of(refused) == {"project"}
    clerk = api(world.clerk).post(
        URL, {"project": world.project.pk, "bundle": world.bundle("start-construction").pk}, format="json"
    )
    assert problem_of(clerk, 403)["code"] == "forbidden"
    assert not Application.objects.exists()


def test_drafts_refuse_bad_answers_form_values_and_materials(world, api):
    application = draft(world, "start-construction", START_MINIMAL)
    client = api(world.applicant)
    answers = problem_of(
        client.put(url(application, "answers"), {"answers": {"no_such_question": "yes"}}, format="json"), 400
    )
    assert fields_of(answers) == {"no_such_question"}
    assert fields_of(problem_of(client.put(url(application, "answers"), {}, format="json"), 400)) == {
        "answers"
    }
    form = problem_of(client.put(url(application, "form"), {"data": {"nope": "x"}}, format="json"), 400)
    assert fields_of(form) == {"nope"}
    unknown = client.post(
        url(application, "materials"), {"spec_code": "lunar-permit", "file": upload()}, format="multipart"
    )
    assert fields_of(problem_of(unknown, 400)) == {"material"}
    no_file = client.post(url(application, "materials"), {"spec_code": "land-title"}, format="multipart")
    assert fields_of(problem_of(no_file, 400)) == {"file"}
    not_pledgeable = client.post(url(application, "pledges"), {"spec_code": "land-title"}, format="json")
    assert problem_of(not_pledgeable, 400)["code"] == "pledge_not_allowed"

    incomplete = problem_of(client.post(url(application, "submit"), HTTP_IDEMPOTENCY_KEY="s-1"), 400)
    assert "materials.land-title" in fields_of(incomplete)
    application.refresh_from_db()
    assert application.status == A.DRAFT


def test_uploads_too_large_are_413_and_of_the_wrong_type_415(world, api):
    application = draft(world, "start-construction", START_MINIMAL)
    client = api(world.applicant)
    MaterialSpec.objects.filter(pk=spec(world, "land-title").pk).update(max_size_mb=1)
    big = upload("产权证.pdf", content=SAMPLES["pdf"] + b"0" * (1024 * 1024))
    too_large = client.post(
        url(application, "materials"), {"spec_code": "land-title", "file": big}, format="multipart"
    )
    assert problem_of(too_large, 413)["code"] == "file_too_large"
    renamed_program = upload("产权证.pdf", content=b"MZ\x90\x00\x03" + b"\x00" * 64)
    wrong_type = client.post(
        url(application, "materials"),
        {"spec_code": "land-title", "file": renamed_program},
        format="multipart",
    )
    assert problem_of(wrong_type, 415)["code"] == "unsupported_file_type"
    assert not application.materials.filter(spec__code="land-title").exists()


def test_another_enterprises_application_is_404_everywhere(world, api):
    theirs = other_enterprises_application(world)
    applications.upload_material(theirs.applicant, theirs, "land-title", upload())
    material = theirs.materials.get()
    client = api(world.applicant)
    assert problem_of(client.get(url(theirs)), 404)["code"] == "not_found"
    for path in ("requirements", f"materials/{material.pk}/file"):
        problem_of(client.get(url(theirs, path)), 404)
    problem_of(client.put(url(theirs, "answers"), {"answers": {}}, format="json"), 404)
    problem_of(client.put(url(theirs, "form"), {"data": {}}, format="json"), 404)
    problem_of(
        client.post(
            url(theirs, "materials"), {"spec_code": "land-title", "file": upload()}, format="multipart"
        ),
        404,
    )
    problem_of(client.post(url(theirs, "pledges"), {"spec_code": PLEDGEABLE}, format="json"), 404)
    for action in ("submit", "withdraw", "rating", "supplement-answers", "gap-materials"):
        problem_of(client.post(url(theirs, action), {}, format="json"), 404)
    assert theirs.pk not in [row["id"] for row in client.get(URL).json()["results"]]

    # A department that has no task in the application does not see it either.
    reviewer = world.reviewer("planning")
    problem_of(api(reviewer).get(url(theirs)), 404)
    # And a material of one application is not reached through another.
    mine = draft(world, "start-construction", START_MINIMAL)
    problem_of(client.get(url(mine, f"materials/{material.pk}/file")), 404)
    theirs.refresh_from_db()
    assert theirs.status == A.DRAFT


def test_withdrawal_and_cancellation(world, api):
    application = submitted(world, "start-construction", START_MINIMAL)
    applicant, admin = api(world.applicant), api(world.admin)
    racing = applicant.post(
        url(application, "withdraw"), {"reason": "项目调整", "expected_status": "correction"}, format="json"
    )
    assert problem_of(racing, 409)["code"] == "illegal_transition"
    bad_state = applicant.post(url(application, "withdraw"), {"expected_status": "nonsense"}, format="json")
    assert fields_of(problem_of(bad_state, 400)) == {"expected_status"}
    problem_of(api(world.clerk).post(url(application, "withdraw"), {}, format="json"), 403)
    withdrawn = applicant.post(
        url(application, "withdraw"), {"reason": "项目调整", "expected_status": "submitted"}, format="json"
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["closed_reason"] == "项目调整"
    problem_of(applicant.post(url(application, "withdraw"), {}, format="json"), 409)

    other = submitted(world, "start-construction", START_MINIMAL, key="submit-2")
    assert fields_of(problem_of(admin.post(url(other, "cancel"), {"reason": ""}, format="json"), 400)) == {
        "reason"
    }
    problem_of(applicant.post(url(other, "cancel"), {"reason": "不想办了"}, format="json"), 403)
    cancelled = admin.post(url(other, "cancel"), {"reason": "重复申请"}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    problem_of(admin.post(url(other, "cancel"), {"reason": "重复申请"}, format="json"), 409)


# --- the window: intake ------------------------------------------------------------------------------------------


def test_the_window_judges_materials_and_accepts(world, api):
    application = submitted(world, "start-construction", START_MINIMAL)
    clerk = api(world.clerk)
    invalid = clerk.post(
        url(application, "verdicts"), {"verdicts": {"land-title": {"verdict": "maybe"}}}, format="json"
    )
    assert fields_of(problem_of(invalid, 400)) == {"verdicts.land-title.verdict"}
    no_note = clerk.post(
        url(application, "verdicts"), {"verdicts": {"land-title": {"verdict": "rejected"}}}, format="json"
    )
    assert fields_of(problem_of(no_note, 400)) == {"land-title"}
    problem_of(
        api(world.applicant).post(
            url(application, "verdicts"), {"verdicts": {"land-title": {"verdict": "accepted"}}}, format="json"
        ),
        403,
    )
    early = problem_of(clerk.post(url(application, "accept")), 400)
    assert "land-title" in fields_of(early)

    verdicts = {
        material.spec.code: {"verdict": "accepted"}
        for material in application.materials.filter(is_current=True).select_related("spec")
    }
    judged = clerk.post(url(application, "verdicts"), {"verdicts": verdicts}, format="json")
    assert judged.status_code == 200 and {row["verdict"] for row in judged.json()} == {"accepted"}
    problem_of(api(world.applicant).post(url(application, "accept")), 403)
    done = clerk.post(url(application, "accept"))
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["status"] == "in_review" and body["promised_deadline"] == "2026-06-30"
    assert {task["item"]: task["status"] for task in body["tasks"]}[
        "engineering-planning-permit"
    ] == "pending"
    assert {task["light"] for task in body["tasks"] if task["status"] == "pending"} == {"green"}
    assert {item["outcome"] for item in body["items"]} == {"pending"}
    problem_of(clerk.post(url(application, "accept")), 409)
    problem_of(clerk.post(url(application, "refuse"), {"reason": "晚了"}, format="json"), 409)


def test_correction_round_trip_and_refusal(world, api):
    application = submitted(world, "start-construction", START_MINIMAL)
    clerk, applicant = api(world.clerk), api(world.applicant)
    empty = problem_of(clerk.post(url(application, "correction"), {"problems": []}, format="json"), 400)
    assert fields_of(empty) == {"problems"}
    problems = {"problems": [{"material": "land-title", "problem": "产权证复印件不清晰"}], "note": "请尽快"}
    problem_of(applicant.post(url(application, "correction"), problems, format="json"), 403)
    notice = clerk.post(url(application, "correction"), problems, format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    assert notice.status_code == 201, notice.content
    assert notice.json()["problems"] == problems["problems"] and notice.json()["answered_at"] is None
    replay = clerk.post(url(application, "correction"), problems, format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    problem_of(clerk.post(url(application, "correction"), problems, format="json"), 409)

    detail = applicant.get(url(application)).json()
    assert detail["status"] == "correction" and detail["correction"]["id"] == notice.json()["id"]
    assert {row["spec"]: row["verdict"] for row in detail["materials"]}["land-title"] == "rejected"
    again = applicant.post(
        url(application, "materials"),
        {"spec_code": "land-title", "file": upload("产权证-清晰.pdf")},
        format="multipart",
    )
    assert again.status_code == 201
    resubmitted = applicant.post(url(application, "submit"), HTTP_IDEMPOTENCY_KEY="submit-again")
    assert resubmitted.status_code == 200 and resubmitted.json()["status"] == "submitted"
    assert resubmitted.json()["submission_count"] == 2 and resubmitted.json()["correction"] is None

    assert fields_of(problem_of(clerk.post(url(application, "refuse"), {}, format="json"), 400)) == {"reason"}
    problem_of(applicant.post(url(application, "refuse"), {"reason": "不符合"}, format="json"), 403)
    refused = clerk.post(url(application, "refuse"), {"reason": "不属于本区受理范围"}, format="json")
    assert refused.status_code == 200 and refused.json()["status"] == "refused"


# --- tolerated gaps, supplements -----------------------------------------------------------------------------------


def test_a_tolerated_gap_is_accepted_supplied_judged_and_closed(world, api):
    application = submitted(world, "start-construction", START_MINIMAL, skip={GAP})
    accept_all_materials(world, application)
    clerk, applicant = api(world.clerk), api(world.applicant)
    past = clerk.post(url(application, "accept-with-gaps"), {"gaps": {GAP: "2026-05-01"}}, format="json")
    assert fields_of(problem_of(past, 400)) == {GAP}
    not_a_date = clerk.post(url(application, "accept-with-gaps"), {"gaps": {GAP: "soon"}}, format="json")
    assert fields_of(problem_of(not_a_date, 400)) == {f"gaps.{GAP}"}
    problem_of(
        applicant.post(url(application, "accept-with-gaps"), {"gaps": {GAP: "2026-06-15"}}, format="json"),
        403,
    )
    gapped = clerk.post(url(application, "accept-with-gaps"), {"gaps": {GAP: "2026-06-15"}}, format="json")
    assert gapped.status_code == 200 and gapped.json()["status"] == "in_review"
    row = {row["spec"]: row for row in gapped.json()["materials"]}[GAP]
    assert (row["verdict"], row["gap_due_date"]) == ("tolerated", "2026-06-15")

    not_a_gap = applicant.post(
        url(application, "gap-materials"), {"spec_code": "land-title", "file": upload()}, format="multipart"
    )
    assert problem_of(not_a_gap, 400)["code"] == "not_a_gap"
    wrong_type = applicant.post(
        url(application, "gap-materials"),
        {"spec_code": GAP, "file": upload("措施.pdf", content=b"MZ" + b"\x00" * 20)},
        format="multipart",
    )
    problem_of(wrong_type, 415)
    supplied = applicant.post(
        url(application, "gap-materials"),
        {"spec_code": GAP, "file": upload("措施.pdf")},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="gap-1",
    )
    assert supplied.status_code == 201 and supplied.json()["verdict"] == "pending"
    material = SubmittedMaterial.objects.get(pk=supplied.json()["id"])

    problem_of(api(world.applicant).post(url(application, f"gap-materials/{material.pk}/accept")), 403)
    assert fields_of(
        problem_of(
            clerk.post(url(application, f"gap-materials/{material.pk}/reject"), {}, format="json"), 400
        )
    ) == {"note"}
    rejected = clerk.post(
        url(application, f"gap-materials/{material.pk}/reject"), {"note": "缺少危大工程清单"}, format="json"
    )
    assert rejected.status_code == 200 and rejected.json()["verdict"] == "rejected"
    problem_of(clerk.post(url(application, f"gap-materials/{material.pk}/accept")), 400)

    again = applicant.post(
        url(application, "gap-materials"),
        {"spec_code": GAP, "file": upload("措施v2.pdf")},
        format="multipart",
    )
    approve_all(world, application)
    accepted_gap = clerk.post(url(application, f"gap-materials/{again.json()['id']}/accept"))
    assert accepted_gap.status_code == 200 and accepted_gap.json()["verdict"] == "accepted"
    application.refresh_from_db()
    assert application.status == A.CONCLUDED
    other = draft(world, "start-construction", START_MINIMAL)
    problem_of(clerk.post(url(other, f"gap-materials/{material.pk}/accept")), 404)
    problem_of(clerk.post(url(application, f"gap-materials/{again.json()['id']}/accept")), 409)


def test_the_applicant_answers_a_supplement_request_with_files(world, api):
    application = accepted(world, "start-construction", START_MINIMAL)
    task = task_of(application, "engineering-planning-permit")
    reviewer = world.reviewer_of(task)
    review.claim_task(reviewer, task)
    client = api(world.applicant)
    early = client.post(url(application, "supplement-answers"), {"task": task.pk, "text": "提前"})
    assert problem_of(early, 409)["code"] == "illegal_transition"
    review.request_supplement(reviewer, task, "请补充总平面图电子版")

    assert fields_of(
        problem_of(client.post(url(application, "supplement-answers"), {"task": task.pk}), 400)
    ) == {"text"}
    elsewhere = accepted(world, "start-construction", START_MINIMAL, key="submit-2")
    foreign_task = task_of(elsewhere, "engineering-planning-permit")
    assert fields_of(
        problem_of(
            client.post(url(application, "supplement-answers"), {"task": foreign_task.pk, "text": "x"}), 400
        )
    ) == {"task"}
    problem_of(
        api(reviewer).post(url(application, "supplement-answers"), {"task": task.pk, "text": "代答"}), 403
    )
    answered = client.post(
        url(application, "supplement-answers"),
        {"task": task.pk, "text": "已补充电子版", "file_site-plan": upload("总平面图.pdf")},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="sup-1",
    )
    assert answered.status_code == 201, answered.content
    assert answered.json()["kind"] == "supplement_answer" and len(answered.json()["materials"]) == 1
    task.refresh_from_db()
    assert task.status == ReviewTask.Status.IN_REVIEW
    current = application.materials.get(spec__code="site-plan", is_current=True)
    assert current.original_name == "总平面图.pdf"


# --- conclusion: delivery and rating ---------------------------------------------------------------------------------


def concluded(world):
    application = accepted(world, "start-construction", START_MINIMAL)
    approve_all(world, application)
    application.refresh_from_db()
    assert application.status == A.CONCLUDED
    return application


def test_the_window_delivers_once_and_the_applicant_rates_once(world, api):
    application = concluded(world)
    clerk, applicant = api(world.clerk), api(world.applicant)
    unknown = clerk.post(url(application, "delivery"), {"method": "pigeon"}, format="json")
    assert fields_of(problem_of(unknown, 400)) == {"method"}
    nobody = clerk.post(url(application, "delivery"), {"method": "window"}, format="json")
    assert fields_of(problem_of(nobody, 400)) == {"recipient"}
    problem_of(applicant.post(url(application, "delivery"), {"method": "electronic"}, format="json"), 403)
    delivered = clerk.post(
        url(application, "delivery"),
        {"method": "window", "recipient": "李领取"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="d-1",
    )
    assert delivered.status_code == 201, delivered.content
    assert (delivered.json()["method"], delivered.json()["method_display"]) == ("window", "窗口领取")
    problem_of(clerk.post(url(application, "delivery"), {"method": "electronic"}, format="json"), 409)

    problem_of(clerk.post(url(application, "rating"), {"score": 5}, format="json"), 403)
    assert fields_of(
        problem_of(applicant.post(url(application, "rating"), {"score": 9}, format="json"), 400)
    ) == {"score"}
    rated = applicant.post(url(application, "rating"), {"score": 5, "comment": "很快"}, format="json")
    assert rated.status_code == 201 and rated.json()["score"] == 5
    problem_of(applicant.post(url(application, "rating"), {"score": 4}, format="json"), 409)

    detail = applicant.get(url(application)).json()
    assert detail["status"] == "delivered" and detail["delivery"]["recipient"] == "李领取"
    assert detail["rating"]["comment"] == "很快"
    assert {item["outcome"] for item in detail["items"]} == {"approved"}
    # A department that reviewed it sees how and when it was delivered, not to whom.
    reviewer = api(world.reviewer("planning")).get(url(application)).json()
    assert reviewer["delivery"]["method"] == "window" and reviewer["delivery"]["recipient"] == ""


def test_an_application_in_review_cannot_be_rated_or_delivered(world, api):
    application = accepted(world, "start-construction", START_MINIMAL)
    problem_of(api(world.applicant).post(url(application, "rating"), {"score": 5}, format="json"), 409)
    problem_of(
        api(world.clerk).post(url(application, "delivery"), {"method": "electronic"}, format="json"), 409
    )


# --- lists and queries -------------------------------------------------------------------------------------------------


def list_queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return response.json(), [query["sql"] for query in captured.captured_queries]


def test_the_list_filters_never_counts_and_reads_a_fixed_number_of_queries(world, api):
    client = api(world.clerk)
    client.get("/api/v1/me/")  # the token's first use is recorded once; what follows is the list alone
    for n in range(2):
        draft(world, "start-construction", START_MINIMAL, key=f"draft-{n}")
    small, small_queries = list_queries(client, URL)
    assert len(small["results"]) == 2
    for n in range(2, 8):
        project = ProjectFactory(enterprise=world.enterprise)
        applications.start_application(
            world.applicant, project, world.bundle("start-construction"), idempotency_key=f"draft-{n}"
        )
    submitted(world, "start-construction", START_MINIMAL, key="submit-x")
    large, large_queries = list_queries(client, URL)
    assert len(large["results"]) == 9 and "count" not in large
    assert len(large_queries) == len(small_queries)
    assert not any("COUNT(" in sql.upper() for sql in large_queries)

    assert [row["status"] for row in client.get(f"{URL}?status=submitted").json()["results"]] == ["submitted"]
    assert len(client.get(f"{URL}?bundle=start-construction").json()["results"]) == 9
    assert client.get(f"{URL}?bundle=no-such-bundle").json()["results"] == []
    assert len(client.get(f"{URL}?project={world.project.pk}").json()["results"]) == 3
    by_submission = client.get(f"{URL}?ordering=-submitted_at").json()["results"]
    assert [row["status"] for row in by_submission] == ["submitted"]
    paged = client.get(f"{URL}?page_size=4").json()
    assert len(paged["results"]) == 4 and paged["next"]
    following = client.get(paged["next"]).json()
    assert not {row["id"] for row in following["results"]} & {row["id"] for row in paged["results"]}

    # The applicant lists its enterprise's applications only.
    other_enterprises_application(world)
    mine = api(world.applicant).get(URL).json()["results"]
    assert len(mine) == 9 and {row["enterprise"]["id"] for row in mine} == {world.enterprise.pk}


def test_the_detail_reads_a_fixed_number_of_queries_whatever_its_size(
    world, api, django_assert_max_num_queries
):
    small = accepted(world, "start-construction", START_MINIMAL)
    large = accepted(world, "start-construction", START_ALL, key="submit-all")
    assert large.tasks.count() > small.tasks.count() and large.materials.count() > small.materials.count()
    client = api(world.clerk)
    client.get("/api/v1/me/")
    _body, small_queries = list_queries(client, url(small))
    body, large_queries = list_queries(client, url(large))
    assert len(large_queries) == len(small_queries)
    assert len(body["tasks"]) == large.tasks.count()
    with django_assert_max_num_queries(len(small_queries)):
        client.get(url(large))


def test_a_department_sees_the_applications_it_has_tasks_in(world, api):
    application = accepted(world, "start-construction", START_MINIMAL)
    reviewer = api(world.reviewer("planning"))
    assert [row["id"] for row in reviewer.get(URL).json()["results"]] == [application.pk]
    assert reviewer.get(url(application)).status_code == 200
    # ...and may read, but not take, the applicant's or the window's actions.
    problem_of(reviewer.post(url(application, "withdraw"), {}, format="json"), 403)

    # Who handles another department's task is not shown to a department (its task page does not either).
    approve(world, application, "engineering-planning-permit")
    others = ReviewTask.objects.filter(application=application, status=ReviewTask.Status.PENDING)
    for task in others.select_related("department"):
        review.claim_task(world.reviewer_of(task), task)
    tasks = reviewer.get(url(application)).json()["tasks"]
    assignees = {task["item"]: task["assignee"] for task in tasks if task["status"] != "waiting"}
    assert assignees.pop("engineering-planning-permit") == str(world.reviewer("planning"))
    assert assignees and set(assignees.values()) == {None}
    seen_by_applicant = api(world.applicant).get(url(application)).json()["tasks"]
    assert all(task["assignee"] for task in seen_by_applicant if task["status"] == "in_review")
