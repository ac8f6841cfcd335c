"""The devolved powers through the API: the public list and detail (no figures), the figures, the `in_use`
filter and the summary for civil servants, and clear refusals of bad input."""

import pytest
from rest_framework.test import APIClient

from tests.factories import staff

from .conftest import EPP

pytestmark = pytest.mark.django_db
API = "/api/v1/devolved-powers/"


def codes(response):
    return [row["code"] for row in response.json()["results"]]


def test_the_public_reads_the_list_and_a_power_without_figures(powers):
    client = APIClient()
    response = client.get(API)
    assert response.status_code == 200
    assert codes(response) == ["XK-001", "XK-002", "XK-003", "CF-001"]
    first = response.json()["results"][0]
    assert first["items"] == [EPP] and first["department"] == "planning" and first["usage"] is None
    assert first["kind_display"] == "行政许可" and first["devolved_on"] == "2021-03-26"
    assert codes(client.get(API, {"kind": "penalty"})) == ["CF-001"]
    assert codes(client.get(API, {"department": "ecology"})) == ["XK-003"]
    assert codes(client.get(API, {"q": "施工许可"})) == ["XK-002"]
    detail = client.get(f"{API}{powers['epp'].pk}/").json()
    assert detail["item_details"][0]["code"] == EPP and detail["item_details"][0]["usage"] is None
    assert detail["item_details"][0]["name"] == "建设工程规划许可证核发"
    assert client.get(API, {"in_use": "true"}).status_code == 401
    assert client.get(f"{API}summary/").status_code == 401
    assert client.get(API, {"kind": "nonsense"}).status_code == 400


def test_civil_servants_get_the_figures_the_filter_and_the_summary(usage_world):
    client = APIClient()
    client.force_authenticate(staff("department_head", department=usage_world.departments["housing"]))
    rows = client.get(API).json()["results"]
    usage = rows[0]["usage"]
    assert (usage["tasks"], usage["applications"], usage["decided"]) == (3, 3, 2)
    assert (usage["median_days"], usage["p90_days"], usage["within_legal_pct"]) == (3.5, 4, "100.0")
    assert usage["in_use"] is True and rows[1]["usage"]["in_use"] is False
    assert codes(client.get(API, {"in_use": "true"})) == ["XK-001"]
    assert codes(client.get(API, {"in_use": "false", "kind": "license"})) == ["XK-002", "XK-003"]
    assert codes(client.get(API, {"in_use": "true", "since": "2026-06-02"})) == []
    refused = client.get(API, {"since": "2026-07-01", "until": "2026-06-01"})
    assert refused.status_code == 400 and "until" in refused.content.decode()
    detail = client.get(f"{API}{usage_world.powers['epp'].pk}/").json()
    assert detail["usage"]["decided"] == 2 and detail["item_details"][0]["usage"]["tasks"] == 3
    summary = client.get(f"{API}summary/").json()
    assert (summary["total"]["in_force"], summary["total"]["in_use"]) == (4, 1)
    assert {row["key"] for row in summary["departments"]} == {"planning", "housing", "ecology"}
    assert [row["key"] for row in summary["kinds"]] == ["license", "penalty"]
    applicant = APIClient()
    applicant.force_authenticate(usage_world.applicant)
    assert applicant.get(f"{API}summary/").status_code == 403
    assert applicant.get(API, {"in_use": "true"}).status_code == 403
    assert applicant.get(API).json()["results"][0]["usage"] is None
