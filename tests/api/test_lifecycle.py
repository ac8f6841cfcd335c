"""The whole 开工一件事 through the API alone, each person with their own token.

Only the world a deployment starts with is made directly (the demo departments and catalog, the enterprise,
its applicant and the civil servants); everything after that is an HTTP request: the applicant registers a
project, reads the guide, starts, answers, fills the merged form, uploads and pledges materials and submits;
the window asks for a correction once; the applicant corrects and resubmits; the window accepts; every
department claims and decides its tasks as they are released (one asks for a supplement first); the
application concludes; the window delivers; the applicant downloads and publicly verifies the certificates
and rates; a leader reads the overview and the audit trail.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.approvals.conftest import FILLERS, SAMPLES, START_ALL, START_DAY, at, load_demo_world
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

A = "/api/v1/"
BUNDLE = "start-construction"
CORRECTED = "construction-contract"  # the window finds this one wanting
PLEDGED = "funding-pledge"  # provided by a pledge (告知承诺)
# Released in rounds by the bundle's dependencies (see tests/approvals/test_lifecycle.py).
ROUNDS = [
    {
        "assisted-agency-service",
        "construction-waste-disposal",
        "design-scheme-review",
        "eia-approval",
        "road-traffic-safety-review",
        "security-design-review",
        "sewage-discharge-permit",
        "soil-water-conservation",
    },
    {"engineering-planning-permit"},
    {
        "civil-defense-basement-approval",
        "construction-drawing-review",
        "road-occupation-excavation",
        "special-fire-design-review",
    },
    {"construction-permit"},
]
SUPPLEMENTED = "eia-approval"


@pytest.fixture
def world(time_machine, settings, tmp_path):
    at(time_machine, START_DAY)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return load_demo_world()


def ok(response, status=200):
    assert response.status_code == status, f"{response.status_code}: {response.content[:800]!r}"
    return response.json() if response["Content-Type"].startswith("application/json") else response


def results(response) -> list:
    return ok(response)["results"]


def test_start_construction_through_the_api_alone(world, api):
    applicant, clerk = api(world.applicant), api(world.clerk)
    leader = api(UserFactory(username="leader", roles=["leader"]))
    anonymous = api()

    # --- the applicant registers the project and reads the guide -----------------------------------------
    project = ok(
        applicant.post(
            f"{A}projects/",
            {
                "code": "2026-500106-47-01-777001",
                "name": "科学城量子计算研究院",
                "total_investment": "86000.00",
                "land_area": "32000.00",
                "floor_area": "91000.00",
                "location": "重庆市沙坪坝区科学大道88号",
            },
            format="json",
        ),
        201,
    )
    assert project["enterprise"] == world.enterprise.pk
    (bundle,) = results(anonymous.get(f"{A}catalog/bundles/?code={BUNDLE}"))
    guide = ok(
        anonymous.post(f"{A}catalog/bundles/{bundle['id']}/guide/", {"answers": START_ALL}, format="json")
    )
    assert {item["code"] for item in guide["items"]} == set().union(*ROUNDS)
    formats = {
        row["code"]: row["formats"]
        for row in results(anonymous.get(f"{A}catalog/materials/?version={bundle['version']}&page_size=200"))
    }

    # --- start (twice with the same key: one draft), answer, fill the form ----------------------------------
    start = {"project": project["id"], "bundle": bundle["id"]}
    created = ok(
        applicant.post(f"{A}applications/", start, format="json", HTTP_IDEMPOTENCY_KEY="start-1"), 201
    )
    again = applicant.post(f"{A}applications/", start, format="json", HTTP_IDEMPOTENCY_KEY="start-1")
    assert ok(again, 201)["id"] == created["id"]
    app_url = f"{A}applications/{created['id']}/"
    assert created["status"] == "draft"
    ok(applicant.put(f"{app_url}answers/", {"answers": START_ALL}, format="json"))

    needs = ok(applicant.get(f"{app_url}requirements/"))
    assert {item["code"] for item in needs["items"]} == set().union(*ROUNDS)
    form = {}
    for entry in needs["form"]:
        if entry["required"] and entry["value"] in (None, ""):
            form[entry["code"]] = (
                entry["choices"][0]["value"] if entry["kind"] == "choice" else FILLERS[entry["kind"]]
            )
    ok(applicant.put(f"{app_url}form/", {"data": form}, format="json"))
    assert not [
        entry["code"]
        for entry in ok(applicant.get(f"{app_url}requirements/"))["form"]
        if entry["required"] and entry["value"] in (None, "")
    ]

    # --- materials: a pledge where allowed, a file for every other one that must be submitted -------------
    to_submit = [entry for entry in needs["notice"] if entry["needs_submission"]]
    assert PLEDGED in {entry["code"] for entry in to_submit if entry["pledge_allowed"]}
    for entry in to_submit:
        if entry["code"] == PLEDGED:
            ok(
                applicant.post(
                    f"{app_url}pledges/",
                    {"spec_code": PLEDGED, "text": "本企业承诺建设资金已全部落实。"},
                    format="json",
                ),
                201,
            )
        else:
            ok(
                applicant.post(f"{app_url}materials/", upload_of(entry["code"], formats), format="multipart"),
                201,
            )
    submitted = ok(applicant.post(f"{app_url}submit/", HTTP_IDEMPOTENCY_KEY="submit-1"))
    assert submitted["status"] == "submitted" and not submitted["number"].startswith("CG")

    # --- the window: one correction notice listing the problem -------------------------------------------
    pending = [m["spec"] for m in ok(clerk.get(app_url))["materials"] if m["verdict"] == "pending"]
    assert CORRECTED in pending
    verdicts = {code: {"verdict": "accepted", "note": ""} for code in pending}
    verdicts[CORRECTED] = {"verdict": "rejected", "note": "合同缺少双方盖章"}
    ok(clerk.post(f"{app_url}verdicts/", {"verdicts": verdicts}, format="json"))
    notice = {"problems": [{"material": CORRECTED, "problem": "合同缺少双方盖章"}], "note": "请一次补正"}
    ok(clerk.post(f"{app_url}correction/", notice, format="json"), 201)

    corrected = ok(applicant.get(app_url))
    assert corrected["status"] == "correction"
    assert corrected["correction"]["problems"][0]["material"] == CORRECTED
    ok(applicant.post(f"{app_url}materials/", upload_of(CORRECTED, formats), format="multipart"), 201)
    assert ok(applicant.post(f"{app_url}submit/", HTTP_IDEMPOTENCY_KEY="submit-2"))["status"] == "submitted"

    # --- the window accepts --------------------------------------------------------------------------------
    pending = [m["spec"] for m in ok(clerk.get(app_url))["materials"] if m["verdict"] == "pending"]
    assert pending == [CORRECTED]
    ok(clerk.post(f"{app_url}verdicts/", {"verdicts": {CORRECTED: {"verdict": "accepted"}}}, format="json"))
    accepted = ok(clerk.post(f"{app_url}accept/"))
    assert accepted["status"] == "in_review"

    # --- every department claims and decides its tasks as they are released ---------------------------
    rounds = []
    while True:
        released = results(clerk.get(f"{A}tasks/?application={created['id']}&status=pending&page_size=200"))
        if not released:
            break
        rounds.append({task["item"]["code"] for task in released})
        for task in released:
            decide(world, api, applicant, task)
    assert rounds == ROUNDS
    tasks = results(clerk.get(f"{A}tasks/?application={created['id']}&page_size=200"))
    assert {task["status"] for task in tasks} == {"approved"}

    concluded = ok(applicant.get(app_url))
    assert concluded["status"] == "concluded"

    # --- delivery, certificates, verification, rating ---------------------------------------------------
    delivery = ok(clerk.post(f"{app_url}delivery/", {"method": "electronic"}, format="json"), 201)
    assert delivery["method"] == "electronic"
    assert ok(applicant.get(app_url))["status"] == "delivered"

    certificates = results(applicant.get(f"{A}certificates/?application={created['id']}&page_size=200"))
    assert len(certificates) == 11
    for certificate in certificates:
        pdf = applicant.get(f"{A}certificates/{certificate['id']}/pdf/")
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert b"".join(pdf.streaming_content).startswith(b"%PDF")
        public = ok(anonymous.get(f"{A}certificates/verify/{certificate['verification_code']}/"))
        assert public["is_valid"] is True and public["number"] == certificate["number"]
        assert public["enterprise"] == world.enterprise.name
    rating = ok(
        applicant.post(f"{app_url}rating/", {"score": 5, "comment": "一次办成,很快"}, format="json"), 201
    )
    assert rating["score"] == 5

    kinds = {row["kind"] for row in results(applicant.get(f"{A}notifications/?page_size=200"))}
    assert {"application_accepted", "application_concluded"} <= kinds

    # --- a leader reads the overview and the audit trail --------------------------------------------------
    overview = ok(leader.get(f"{A}reports/overview/"))
    assert overview["applications_by_status"]
    trail = results(
        leader.get(
            f"{A}audit-events/?target_type=approvals.application&target_id={created['id']}&page_size=200"
        )
    )
    actions = {event["action"] for event in trail}
    assert {
        "approvals.start_application",
        "approvals.save_answers",
        "approvals.save_form",
        "approvals.submit_application",
        "approvals.record_verdicts",
        "approvals.request_correction",
        "approvals.accept_application",
        "approvals.conclude_application",
        "approvals.deliver_application",
        "approvals.rate_application",
    } <= actions
    task_trail = results(leader.get(f"{A}audit-events/?target_type=approvals.reviewtask&page_size=200"))
    assert {"approvals.claim_task", "approvals.approve_task", "approvals.request_supplement"} <= {
        event["action"] for event in task_trail
    }
    # The applicant reads only its own actions in the trail, not the window's or the departments'.
    own = results(applicant.get(f"{A}audit-events/?target_type=approvals.application&page_size=200"))
    assert own and {event["actor"] for event in own} == {world.applicant.pk}
    assert "approvals.accept_application" not in {event["action"] for event in own}


def decide(world, api, applicant, task):
    """The task's department claims it and approves it; the supplemented one first asks the applicant for
    more, records an opinion and a site inspection, and is approved after the answer."""
    department = task["department"]["code"]
    code = task["item"]["code"]
    reviewer = api(world.reviewer(department))
    url = f"{A}tasks/{task['id']}/"
    assert ok(reviewer.post(f"{url}claim/"))["status"] == "in_review"
    if code == SUPPLEMENTED:
        ok(reviewer.post(f"{url}opinion/", {"text": "环评文件基本符合要求。"}, format="json"), 201)
        inspection = {"date": START_DAY.isoformat(), "findings": "现场与报告一致。", "passed": True}
        ok(reviewer.post(f"{url}inspection/", inspection, format="json"), 201)
        ok(reviewer.post(f"{url}supplement/", {"text": "请补充噪声监测数据。"}, format="json"), 201)
        assert ok(reviewer.get(url))["status"] == "supplement"
        application = ok(reviewer.get(url))["application"]["id"]
        answer = {"task": task["id"], "text": "已补充噪声监测数据。", "file_eia-document": sample("pdf")}
        ok(
            applicant.post(f"{A}applications/{application}/supplement-answers/", answer, format="multipart"),
            201,
        )
        assert ok(reviewer.get(url))["status"] == "in_review"
    approved = ok(reviewer.post(f"{url}approve/", {"opinion": "符合要求,准予许可。"}, format="json"))
    assert approved["status"] == "approved"


def sample(kind):
    return SimpleUploadedFile(f"材料.{kind}", SAMPLES[kind])


def upload_of(code, formats):
    kind = next((f for f in formats.get(code) or ["pdf"] if f in SAMPLES), "pdf")
    return {"spec_code": code, "file": sample(kind)}
