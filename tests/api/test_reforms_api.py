"""三评合一 and 一业一证 through the API: the industry licence in the certificates' representation and in public
verification, the merged review in the reform report and the overview, and both in the catalog."""

import pytest
from django_tasks import default_task_backend

from sciencecity.approvals.models import Certificate
from sciencecity.approvals.services.delivery import deliver_application
from tests.api.test_certificates_reports import no_count_and_constant
from tests.approvals.conftest import START_MINIMAL, accepted, approve, approve_all
from tests.factories import ProjectFactory, staff

pytestmark = pytest.mark.django_db

MERGED = "eia-three-in-one"
PHARMACY_ALL = {"sells_devices": "yes", "sells_food": "yes"}


@pytest.fixture(autouse=True)
def _dummy_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()


def open_pharmacy(world, key="submit-1"):
    application = accepted(world, "open-pharmacy", PHARMACY_ALL, key=key)
    approve_all(world, application)
    application.refresh_from_db()
    deliver_application(world.clerk, application, method="electronic")
    return Certificate.objects.get(application=application, kind="industry_licence")


def test_the_certificates_list_the_licence_with_its_permits(world, api):
    licence = open_pharmacy(world)
    client = api(world.applicant)
    rows = client.get("/api/v1/certificates/", {"application": licence.application_id}).json()["results"]
    by_kind = {row["kind"]: row for row in rows if row["kind"] == "industry_licence"}
    row = by_kind["industry_licence"]
    assert row["number"] == licence.number and row["name"] == "药品零售行业综合许可证"
    assert row["name_en"] == "Industry licence for drug retail" and row["kind_display"] == "行业综合许可证"
    assert row["item"] is None and row["certificate_code"] == "pharmacy-industry-licence"
    assert [permit["item"] for permit in row["permits"]] == [
        "drug-retail-licence",
        "medical-device-filing",
        "prepackaged-food-filing",
    ]
    drug, device, food = row["permits"]
    assert drug["name"] == "药品经营许可证" and drug["certificate_status"] == "valid"
    assert drug["certificate"] == licence.permits.get(item__code="drug-retail-licence").certificate.number
    assert food["certificate"] is None and food["name"] == "仅销售预包装食品备案"
    # An item's certificate has its item and no permits.
    items = [row for row in rows if row["kind"] == "item"]
    assert items and all(row["item"] and row["permits"] == [] for row in items)
    # In English, the permit's English name.
    english = api(world.applicant, language="en").get(f"/api/v1/certificates/{licence.pk}/").json()
    assert english["permits"][0]["name"] == "Drug business licence"
    # Filter by type or by kind.
    found = client.get("/api/v1/certificates/", {"certificate_code": "pharmacy-industry-licence"}).json()
    assert [row["number"] for row in found["results"]] == [licence.number]
    found = client.get("/api/v1/certificates/", {"kind": "industry_licence"}).json()
    assert [row["number"] for row in found["results"]] == [licence.number]
    assert client.get("/api/v1/certificates/", {"kind": "licence"}).status_code == 400


def test_the_list_of_licences_costs_the_same_for_more_of_them(world, api):
    open_pharmacy(world)
    client = api(world.applicant)

    def grow():
        for n in (2, 3):
            world.project = ProjectFactory(enterprise=world.enterprise)
            open_pharmacy(world, key=f"submit-{n}")

    no_count_and_constant(client, "/api/v1/certificates/", grow)


def test_public_verification_lists_the_permits(world, api):
    licence = open_pharmacy(world)
    body = api().get(f"/api/v1/certificates/verify/{licence.verification_code}/").json()
    assert body["kind"] == "industry_licence" and body["is_valid"] and body["number"] == licence.number
    assert [permit["item"] for permit in body["permits"]][0] == "drug-retail-licence"
    assert len(body["permits"]) == 3
    item_certificate = licence.permits.get(item__code="medical-device-filing").certificate
    body = api().get(f"/api/v1/certificates/verify/{item_certificate.verification_code}/").json()
    assert body["kind"] == "item" and body["permits"] == []


def test_the_reform_report_includes_the_merged_review(world, api):
    leader = api(staff("leader"))
    application = accepted(
        world, "start-construction", {**START_MINIMAL, "eia_category": "three_in_one"}, key="submit-merged"
    )
    approve(world, application, MERGED)
    body = leader.get("/api/v1/reports/reform/?bundle=start-construction").json()
    (merged,) = body["merged_items"]
    assert merged["item"]["code"] == MERGED
    assert [item["code"] for item in merged["replaced"]] == [
        "eia-approval",
        "soil-water-conservation",
        "river-outfall-review",
    ]
    assert merged["separately"] == {"steps": 13, "materials": 9, "days": 15}
    assert merged["merged"] == {"steps": 5, "materials": 4, "days": 10}
    assert merged["steps_saved"] == 8 and merged["materials_reduction_pct"] == 55.6
    assert merged["time_reduction_pct"] == 33.3
    assert (merged["legal_days_separately"], merged["legal_days_merged"]) == (40, 40)
    assert merged["actuals"]["decided"] == 1
    assert leader.get("/api/v1/reports/reform/?bundle=open-pharmacy").json()["merged_items"] == []
    overview = leader.get("/api/v1/reports/overview/").json()
    kinds = {(row["kind"], row["code"]) for row in overview["reform"]}
    assert ("merged_item", MERGED) in kinds and ("bundle", "open-laboratory") in kinds


def test_the_catalog_says_what_merges_and_what_licenses(world, api):
    client = api()
    (item,) = client.get("/api/v1/catalog/items/", {"code": MERGED}).json()["results"]
    assert sorted(item["replaces"]) == ["eia-approval", "river-outfall-review", "soil-water-conservation"]
    (bundle,) = client.get("/api/v1/catalog/bundles/", {"code": "open-laboratory"}).json()["results"]
    assert bundle["licence_code"] == "laboratory-industry-licence"
    assert bundle["licence_name"] == "研发实验室综合许可证"
    (start,) = client.get("/api/v1/catalog/bundles/", {"code": "start-construction"}).json()["results"]
    assert start["licence_code"] == ""
