"""The cockpit through the API: the board of a period with last year's figures, the definitions, the records
behind a figure or a bar (the same numbers as the board), the monthly reports; 403 for those who do not read
the zone, a clear 400 for a bad period."""

import pytest
from rest_framework.test import APIClient

from sciencecity.cockpit import figures
from sciencecity.cockpit.models import ZoneReport

from .conftest import IMMEDIATE_TASKS, JUNE

pytestmark = pytest.mark.django_db
API = "/api/v1/"


def client_of(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_board_gives_every_figure_with_last_year_and_every_chart(cockpit_world):
    body = client_of(cockpit_world.supervisor).get(f"{API}cockpit/", {"period": JUNE}).json()
    assert body["period"] == JUNE and body["start"] == "2026-06-01" and body["end"] == "2026-07-01"
    cells = {cell["key"]: cell for section in body["sections"] for cell in section["figures"]}
    assert set(cells) == {f.key for f in figures.FIGURES} | {r.key for r in figures.RATES}
    assert cells["problems_reported"]["value"] == 3 and cells["problems_reported"]["last_year"] == 1
    assert cells["problems_reported"]["change"] == 200.0 and cells["problems_reported"]["change_unit"] == "%"
    # A rate changes by percentage points: last June no problem was closed of the one reported.
    rate = cells["problems_closed_loop_rate"]
    assert (rate["value"], rate["last_year"], rate["change"], rate["change_unit"]) == (50.0, 0.0, 50.0, "pp")
    assert cells["problems_overdue"]["in_period"] is False and cells["problems_overdue"]["last_year"] is None
    charts = {chart["key"]: chart for section in body["sections"] for chart in section["charts"]}
    warning = charts["projects_by_warning"]
    assert [c["value"] for c in warning["categories"]] == ["green", "yellow", "red"]
    assert warning["series"][0]["values"] == [1, 1, 1]
    assert [row["name"] for row in body["teams"]] == ["审批改革红岩先锋队"]


def test_the_records_and_their_measure_match_the_board(cockpit_world):
    client = client_of(cockpit_world.leader)
    board = client.get(f"{API}cockpit/", {"period": JUNE}).json()
    cells = {cell["key"]: cell["value"] for section in board["sections"] for cell in section["figures"]}
    for key in ("problems_reported", "key_projects", "applications_submitted", "eligible_unclaimed"):
        listed = client.get(f"{API}cockpit/records/{key}/", {"period": JUNE, "page_size": 200}).json()
        assert len(listed["results"]) == cells[key], key
        measure = client.get(f"{API}cockpit/records/{key}/measure/", {"period": JUNE}).json()
        assert measure["measure"] == cells[key], key
    amount = client.get(f"{API}cockpit/records/claims_paid_amount/measure/", {"period": JUNE}).json()
    assert amount["measure"] == cells["claims_paid_amount"] == 50.0
    red = client.get(
        f"{API}cockpit/records/key_projects/", {"period": JUNE, "by": "warning", "value": "red"}
    ).json()
    assert [row["values"]["name"] for row in red["results"]] == ["科学大道二期"]
    assert red["results"][0]["url"] == f"/projects/{cockpit_world.red.pk}/"


def test_definitions_name_what_each_figure_counts(cockpit_world):
    rows = client_of(cockpit_world.leader).get(f"{API}cockpit/figures/").json()
    by_key = {row["key"]: row for row in rows}
    assert (
        by_key["problems_overdue"]["records"] == "problem"
        and "department" in by_key["problems_overdue"]["dimensions"]
    )
    assert (
        by_key["investment_planned"]["measure"] == "sum"
        and by_key["investment_planned"]["field"] == "planned"
    )


def test_bad_input_is_a_clear_error(cockpit_world):
    client = client_of(cockpit_world.leader)
    response = client.get(f"{API}cockpit/", {"period": "2026-Q9"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "period"
    assert client.get(f"{API}cockpit/records/nothing/", {"period": JUNE}).status_code == 404
    assert client.get(f"{API}cockpit/records/key_projects/", {"by": "area", "value": "x"}).status_code == 404
    assert client.post(f"{API}cockpit-reports/", {"month": "2026-13"}, format="json").status_code == 400
    assert client.post(f"{API}cockpit-reports/", {"month": "2027-01"}, format="json").status_code == 400
    assert client.post(f"{API}cockpit-reports/", {"month": "june"}, format="json").status_code == 400
    assert not ZoneReport.objects.exists()


def test_others_get_403(cockpit_world):
    for user in (cockpit_world.world.applicant, cockpit_world.world.clerk):
        client = client_of(user)
        assert client.get(f"{API}cockpit/").status_code == 403
        assert client.get(f"{API}cockpit/records/key_projects/").status_code == 403
        assert client.get(f"{API}cockpit-reports/").status_code == 403


def test_a_leader_asks_for_a_report_and_downloads_it(
    cockpit_world, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE_TASKS
    client = client_of(cockpit_world.leader)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{API}cockpit-reports/", {"month": "2026-05"}, format="json")
    assert response.status_code == 202 and response.json()["month"] == "2026-05"
    report = client.get(f"{API}cockpit-reports/{response.json()['id']}/").json()
    assert report["status"] == "ready" and report["file_url"].endswith("/file/")
    pdf = client.get(report["file_url"])
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    supervisor = client_of(cockpit_world.supervisor)
    assert supervisor.post(f"{API}cockpit-reports/", {"month": "2026-05"}, format="json").status_code == 403


def test_a_nul_in_a_bars_value_matches_nothing(cockpit_world):
    client = client_of(cockpit_world.leader)
    response = client.get(
        f"{API}cockpit/records/key_projects/", {"period": JUNE, "by": "warning", "value": "r\x00ed"}
    )
    assert response.status_code == 200 and response.json()["results"] == []


def test_a_value_no_column_holds_matches_nothing(cockpit_world):
    client = client_of(cockpit_world.leader)
    for by, value in (
        ("policy", "abc"),
        ("policy", "99999999999999999999999"),
        ("department", "x\x00"),
        ("area", "\x00"),
    ):
        response = client.get(
            f"{API}cockpit/records/claims_paid_amount/"
            if by == "policy"
            else (
                f"{API}cockpit/records/problems_overdue/"
                if by == "department"
                else f"{API}cockpit/records/problems_reported/"
            ),
            {"period": JUNE, "by": by, "value": value},
        )
        assert response.status_code == 200 and response.json()["results"] == [], (by, value)
