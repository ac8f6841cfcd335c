"""The API's common behaviour: tokens, problem details in two languages, idempotency, throttling, schema."""

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from sciencecity.api.models import ApiToken, IdempotencyRecord
from sciencecity.api.services import create_token, revoke_token
from sciencecity.audit.models import AuditEvent
from sciencecity.projects.models import Project
from tests.factories import EnterpriseFactory, ProjectFactory, UserFactory, applicant_of, staff

pytestmark = pytest.mark.django_db

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.yaml"

NEW_PROJECT = {
    "code": "2026-500106-47-01-900001",
    "name": "API登记的项目",
    "total_investment": "12000.00",
    "location": "重庆市沙坪坝区西永街道",
}


def problem_of(response):
    assert response["Content-Type"] == "application/problem+json", response.content
    body = response.json()
    assert body["status"] == response.status_code
    assert body["type"].startswith("urn:sciencecity:problem:")
    assert body["title"] and body["detail"]
    return body


# --- tokens ---------------------------------------------------------------------------------------------


def test_a_token_signs_in_until_it_is_revoked():
    user = applicant_of(EnterpriseFactory())
    token, secret = create_token(user, "省平台对接")
    assert token.hint == secret[:8] and secret not in token.key_hash  # only the digest is stored
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["username"] == user.username
    assert me.json()["roles"] == ["applicant"]
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None

    admin = UserFactory(roles=["administrator"])
    revoke_token(admin, token)
    refused = client.get("/api/v1/me/")
    assert refused.status_code == 401
    assert problem_of(refused)["detail"] == "令牌无效或已吊销。"
    assert refused["WWW-Authenticate"] == "Bearer"
    assert AuditEvent.objects.filter(action="api.revoke_token", actor=admin).exists()


def test_users_manage_their_own_tokens_and_see_no_one_elses(api):
    alice, bob = applicant_of(EnterpriseFactory()), applicant_of(EnterpriseFactory())
    client = api(alice)
    created = client.post("/api/v1/tokens/", {"name": "数据平台"}, format="json")
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("sc_") and created.json()["is_active"] is True
    assert "secret" not in client.get(f"/api/v1/tokens/{created.json()['id']}/").json()

    bobs_token, _ = create_token(bob, "bob")
    assert client.get(f"/api/v1/tokens/{bobs_token.pk}/").status_code == 404
    assert problem_of(client.post(f"/api/v1/tokens/{bobs_token.pk}/revoke/"))["status"] == 404
    names = [row["name"] for row in client.get("/api/v1/tokens/").json()["results"]]
    assert "bob" not in names and "数据平台" in names

    assert client.post(f"/api/v1/tokens/{created.json()['id']}/revoke/").status_code == 200
    again = client.post(f"/api/v1/tokens/{created.json()['id']}/revoke/")
    assert again.status_code == 409 and problem_of(again)["code"] == "illegal_transition"


def test_an_administrator_revokes_anyones_token_in_the_admin(client):
    owner = applicant_of(EnterpriseFactory())
    token, _ = create_token(owner, "脚本")
    admin = UserFactory(roles=["administrator"], is_staff=True)
    client.force_login(admin)
    response = client.post(
        "/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == admin


def test_a_wrong_or_malformed_token_is_refused(api):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer sc_nonsense")
    assert client.get("/api/v1/me/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Bearer two parts")
    assert client.get("/api/v1/me/").status_code == 401
    assert problem_of(APIClient().get("/api/v1/me/"))["status"] == 401


# --- problem details ----------------------------------------------------------------------------------------


def test_validation_errors_list_every_field_in_the_callers_language(api):
    user = applicant_of(EnterpriseFactory())
    bad = {"code": "2026-1", "name": "", "total_investment": "-5", "location": "x"}
    chinese = problem_of(api(user).post("/api/v1/projects/", bad, format="json"))
    assert chinese["status"] == 400 and chinese["title"] == "提交的数据有误"
    fields = {error["field"] for error in chinese["errors"]}
    assert {"code", "name", "total_investment"} <= fields
    assert any("项目代码格式" in error["detail"] for error in chinese["errors"])

    english = problem_of(api(user, language="en").post("/api/v1/projects/", bad, format="json"))
    assert english["title"] == "Invalid input"
    assert all(not any("\u4e00" <= ch <= "\u9fff" for ch in error["detail"]) for error in english["errors"])
    assert Project.objects.count() == 0


def test_another_enterprises_object_is_404_and_an_unknown_path_too(api):
    mine, theirs = EnterpriseFactory(), EnterpriseFactory()
    other_project = ProjectFactory(enterprise=theirs)
    client = api(applicant_of(mine))
    body = problem_of(client.get(f"/api/v1/projects/{other_project.pk}/"))
    assert body["status"] == 404 and body["instance"] == f"/api/v1/projects/{other_project.pk}/"
    assert problem_of(client.patch(f"/api/v1/projects/{other_project.pk}/", {"name": "x"}, format="json"))
    assert problem_of(client.get("/api/v1/no-such-thing/"))["status"] == 404


def test_an_unknown_address_is_a_problem_404_in_debug_mode_too(api, settings):
    settings.DEBUG = True
    client = api(UserFactory())
    for path in ("/api/v1/no-such-thing/", "/api/v1/applications/abc/", "/api/v1/applications/1/nothing/"):
        response = client.get(path)
        assert response.status_code == 404 and response["Content-Type"] == "application/problem+json", path
    assert api().post("/api/v1/no-such-thing/").status_code in (401, 404)


def test_an_illegal_transition_is_409(api):
    enterprise = EnterpriseFactory()
    project = ProjectFactory(enterprise=enterprise, phase=Project.Phase.STARTED)
    client = api(applicant_of(enterprise))
    body = problem_of(
        client.post(f"/api/v1/projects/{project.pk}/phase/", {"phase": "signed"}, format="json")
    )
    assert body["status"] in (400, 409)
    project.refresh_from_db()
    assert project.phase == Project.Phase.STARTED


def test_throttling_answers_429_with_retry_after(api, settings, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    # DRF copies the rates onto the class once; patch the copy so that the low rates end with this test.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/minute", "user": "3/minute"})
    client = api(applicant_of(EnterpriseFactory()))
    statuses = [client.get("/api/v1/me/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/v1/me/")
    assert problem_of(refused)["status"] == 429 and int(refused["Retry-After"]) > 0


# --- idempotency ----------------------------------------------------------------------------------------


def test_a_retried_create_with_the_same_key_returns_the_first_answer(api):
    enterprise = EnterpriseFactory()
    client = api(applicant_of(enterprise))
    first = client.post("/api/v1/projects/", NEW_PROJECT, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/projects/", NEW_PROJECT, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    assert Project.objects.filter(enterprise=enterprise).count() == 1

    other = client.post(
        "/api/v1/projects/", {**NEW_PROJECT, "name": "另一个"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert problem_of(other)["status"] == 422
    assert Project.objects.filter(enterprise=enterprise).count() == 1


def test_a_failed_request_is_not_remembered(api):
    client = api(applicant_of(EnterpriseFactory()))
    bad = client.post(
        "/api/v1/projects/", {**NEW_PROJECT, "code": "bad"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert bad.status_code == 400 and not IdempotencyRecord.objects.exists()
    good = client.post("/api/v1/projects/", NEW_PROJECT, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert good.status_code == 201


def test_keys_belong_to_their_user(api):
    a, b = EnterpriseFactory(), EnterpriseFactory()
    api(applicant_of(a)).post("/api/v1/projects/", NEW_PROJECT, format="json", HTTP_IDEMPOTENCY_KEY="same")
    other = {**NEW_PROJECT, "code": "2026-500106-47-01-900002"}
    second = api(applicant_of(b)).post("/api/v1/projects/", other, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert second.status_code == 201 and "Idempotent-Replayed" not in second
    assert Project.objects.count() == 2


# --- schema and docs ----------------------------------------------------------------------------------------


def test_the_committed_schema_is_up_to_date(tmp_path):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--lang", "en", "--validate", "--fail-on-warn", "--file", str(generated))
    assert SCHEMA_FILE.read_text() == generated.read_text(), (
        "docs/api/openapi.yaml is out of date: run `make schema` and commit it"
    )


def test_every_operation_documents_its_problem_responses():
    schema = yaml.safe_load(SCHEMA_FILE.read_text())
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert "404" in operation["responses"], f"{method} {path}"
            if method != "get":
                assert {"400", "409"} <= set(operation["responses"]), f"{method} {path}"


def test_the_docs_are_served_without_a_cdn(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn" not in html.lower() and "https://" not in html.split("<body")[0]
    assert client.get("/api/v1/schema/").status_code == 200


def test_registries_are_listed_for_civil_servants(api):
    ProjectFactory.create_batch(3)
    rows = api(staff("window_clerk")).get("/api/v1/projects/?page_size=2").json()
    assert len(rows["results"]) == 2 and rows["next"] and "count" not in rows


# --- the tokens page ------------------------------------------------------------------------------------------


def test_a_user_creates_and_revokes_a_token_on_the_page(client):
    user = applicant_of(EnterpriseFactory())
    client.force_login(user)
    assert client.post("/me/tokens/", {"name": ""}).status_code == 400
    page = client.post("/me/tokens/", {"name": "移动应用"})
    assert page.status_code == 200
    secret = page.context["secret"]
    assert secret in page.content.decode()
    token = ApiToken.objects.get(user=user)
    api_client = APIClient()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api_client.get("/api/v1/me/").status_code == 200

    listing = client.get("/me/tokens/").content.decode()
    assert secret not in listing and token.hint in listing
    client.post(f"/me/tokens/{token.pk}/revoke/")
    assert api_client.get("/api/v1/me/").status_code == 401


def test_nobody_revokes_someone_elses_token_on_the_page(client):
    token, _ = create_token(applicant_of(EnterpriseFactory()), "别人的")
    client.force_login(applicant_of(EnterpriseFactory()))
    assert client.post(f"/me/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
