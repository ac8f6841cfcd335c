"""Bad input an independent probe sent, each refused with a clear 4xx problem and nothing stored."""

import json

import pytest

from sciencecity.approvals.models import Application, TaskEvent
from sciencecity.enterprises.models import Enterprise
from sciencecity.projects.models import Project
from tests.api.test_applications import fields_of, problem_of
from tests.approvals.conftest import START_MINIMAL, accepted, claim, draft
from tests.factories import EnterpriseFactory, UserFactory, applicant_of

pytestmark = pytest.mark.django_db
EPP = "engineering-planning-permit"


@pytest.mark.parametrize("text", ["a\u0000b", "\x1b[31m红色\x1b[0m", "乙\u202e方"])
def test_control_characters_in_a_form_text_are_a_400_on_the_field(world, api, text):
    application = draft(world, "start-construction", START_MINIMAL)
    before = dict(Application.objects.get(pk=application.pk).form_data)
    response = api(world.applicant).put(
        f"/api/v1/applications/{application.pk}/form/", {"data": {"contractor_name": text}}, format="json"
    )
    body = problem_of(response, 400)
    assert fields_of(body) == {"data.contractor_name"} or fields_of(body) == {"contractor_name"}
    assert Application.objects.get(pk=application.pk).form_data == before


def test_an_opinion_with_an_escape_sequence_is_a_400(world, api):
    application = accepted(world, "start-construction", START_MINIMAL)
    task = claim(world, application, EPP)
    response = api(world.reviewer("planning")).post(
        f"/api/v1/tasks/{task.pk}/opinion/", {"text": "\x1b[2J已核对"}, format="json"
    )
    assert fields_of(problem_of(response, 400)) == {"text"}
    assert not TaskEvent.objects.filter(task=task).exists()


def test_json_nested_a_thousand_deep_is_a_400_not_a_500(world, api):
    body = "[" * 1000 + "]" * 1000
    bundle = world.bundle("start-construction")
    response = api().post(
        f"/api/v1/catalog/bundles/{bundle.pk}/guide/",
        data=json.dumps({"answers": json.loads("[]")})[:-1] + "," + '"x": ' + body + "}",
        content_type="application/json",
    )
    assert problem_of(response, 400)["status"] == 400
    # Brackets inside strings do not count as nesting.
    fine = api().post(
        f"/api/v1/catalog/bundles/{bundle.pk}/guide/",
        data=json.dumps({"answers": {"land_with_scheme": "[" * 100}}),
        content_type="application/json",
    )
    assert fine.status_code in (200, 400) and fine.status_code != 500


def test_a_body_over_the_limit_is_a_413_problem(world, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    application = draft(world, "start-construction", START_MINIMAL)
    response = api(world.applicant).put(
        f"/api/v1/applications/{application.pk}/form/",
        data=json.dumps({"data": {"contractor_name": "甲" * 2000}}),
        content_type="application/json",
    )
    assert problem_of(response, 413)["code"] == "request_too_large"


def test_a_credit_code_no_authority_issues_is_refused(api):
    admin = UserFactory(roles=["administrator"])
    response = api(admin).post(
        "/api/v1/enterprises/",
        {"name": "零号公司", "credit_code": "000000000000000000", "legal_representative": "张三"},
        format="json",
    )
    body = problem_of(response, 400)
    assert fields_of(body) == {"credit_code"} and "登记管理部门代码" in body["errors"][0]["detail"]
    assert not Enterprise.objects.filter(name="零号公司").exists()


@pytest.mark.parametrize("code", ["0000-500106-47-01-123456", "9999-500106-47-01-123456"])
def test_a_project_code_of_an_impossible_year_is_refused(api, code):
    enterprise = EnterpriseFactory()
    response = api(applicant_of(enterprise)).post(
        "/api/v1/projects/",
        {
            "code": code,
            "name": "年份错误的项目",
            "total_investment": "10.00",
            "location": "沙坪坝",
            "enterprise": enterprise.pk,
        },
        format="json",
    )
    body = problem_of(response, 400)
    assert fields_of(body) == {"code"} and "年份" in body["errors"][0]["detail"]


def test_an_applicant_cannot_register_a_completed_project_but_a_civil_servant_can(api):
    enterprise = EnterpriseFactory()
    fields = {
        "name": "已竣工的项目",
        "total_investment": "10.00",
        "location": "沙坪坝",
        "enterprise": enterprise.pk,
        "phase": "completed",
        "code": "2024-500106-47-01-000321",
    }
    body = problem_of(api(applicant_of(enterprise)).post("/api/v1/projects/", fields, format="json"), 400)
    assert fields_of(body) == {"phase"}
    assert not Project.objects.filter(name="已竣工的项目").exists()
    admin = UserFactory(roles=["administrator"])
    assert api(admin).post("/api/v1/projects/", fields, format="json").status_code == 201


# --- numbers and rules of the merged form (catalog data: bounds, rules between fields) ------------------------


def put_form(api, world, application, data):
    return api(world.applicant).put(
        f"/api/v1/applications/{application.pk}/form/", {"data": data}, format="json"
    )


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("1e1000000", "应在 0 到 10000000 之间"),
        ("20000000", "应在 0 到 10000000 之间"),
        ("12.3456789", "最多保留 6 位小数"),
        ("9" * 41, "请输入数字"),
    ],
)
def test_an_unbounded_or_out_of_range_decimal_is_a_400_on_the_field(world, api, value, fragment):
    application = draft(world, "start-construction", START_MINIMAL)
    before = Application.objects.get(pk=application.pk).form_data
    body = problem_of(put_form(api, world, application, {"contract_price": value}), 400)
    assert fields_of(body) == {"data.contract_price"} or fields_of(body) == {"contract_price"}
    assert fragment in body["errors"][0]["detail"]
    assert Application.objects.get(pk=application.pk).form_data == before


def test_a_completion_before_the_start_is_refused_on_the_completion_date(world, api):
    application = draft(world, "start-construction", START_MINIMAL)
    body = problem_of(
        put_form(
            api, world, application, {"planned_start": "2026-09-01", "planned_completion": "2026-08-01"}
        ),
        400,
    )
    assert {error["field"].split(".")[-1] for error in body["errors"]} == {"planned_completion"}
    assert "计划竣工日期不能早于计划开工日期" in body["errors"][0]["detail"]
    english = api(world.applicant, language="en").put(
        f"/api/v1/applications/{application.pk}/form/",
        {"data": {"planned_start": "2026-09-01", "planned_completion": "2026-08-01"}},
        format="json",
    )
    assert "cannot be before the planned start" in english.json()["errors"][0]["detail"]
    # Saved one at a time, each save is checked against what is saved already (the draft holds 2026-07-01 for
    # both dates).
    assert put_form(api, world, application, {"planned_start": "2026-09-01"}).status_code == 400
    assert put_form(api, world, application, {"planned_completion": "2027-06-30"}).status_code == 200
    assert put_form(api, world, application, {"planned_start": "2026-09-01"}).status_code == 200
    assert put_form(api, world, application, {"planned_completion": "2026-08-31"}).status_code == 400
    assert put_form(api, world, application, {"planned_completion": "2026-09-01"}).status_code == 200


def test_submission_checks_the_rules_too(world):
    """A form saved before the rule was published (written here directly) is caught at submission."""
    from django.core.exceptions import ValidationError

    from sciencecity.approvals.services import applications
    from tests.approvals.conftest import upload_needed

    application = draft(world, "start-construction", START_MINIMAL)
    upload_needed(world.applicant, application)
    Application.objects.filter(pk=application.pk).update(
        form_data={**application.form_data, "planned_start": "2026-09-01", "planned_completion": "2026-08-01"}
    )
    with pytest.raises(ValidationError) as raised:
        applications.submit_application(
            world.applicant, Application.objects.get(pk=application.pk), idempotency_key="rules"
        )
    assert set(raised.value.error_dict) == {"form.planned_completion"}
    assert Application.objects.get(pk=application.pk).status == Application.Status.DRAFT


@pytest.mark.parametrize(
    "code, fragment",
    [
        (
            "fire-design-documents",
            "不是本次申请所需的材料",
        ),  # only the fire design review asks it: not selected
        ("business-licence", "平台已有或由本次办理出具"),  # read from the enterprise registry (免提交)
        ("engineering-planning-permit", "平台已有或由本次办理出具"),  # issued by an item of this application
    ],
)
def test_an_upload_the_notice_does_not_ask_for_is_refused(world, api, code, fragment):
    from tests.approvals.conftest import upload

    application = draft(world, "start-construction", START_MINIMAL)
    response = api(world.applicant).post(
        f"/api/v1/applications/{application.pk}/materials/",
        {"spec_code": code, "file": upload("材料.pdf", "pdf")},
        format="multipart",
    )
    body = problem_of(response, 400)
    assert fragment in body["errors"][0]["detail"]
    assert not application.materials.filter(spec__code=code).exists()
