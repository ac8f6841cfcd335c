"""The working-day calendar through the API: which years are official or provisional, and what administrators
do when next year's schedule is published (enter days, confirm the year, follow the recount)."""

import datetime

import pytest

from sciencecity.audit.models import AuditEvent
from sciencecity.workdays.models import CalendarYear, DeadlineRecount, HolidayOverride
from tests.api.test_applications import fields_of, problem_of
from tests.approvals.conftest import at
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
YEARS = "/api/v1/calendar/years/"
OVERRIDES = "/api/v1/calendar/overrides/"
CONFIRM = "/api/v1/calendar/years/confirm/"
RECOUNTS = "/api/v1/calendar/recounts/"


@pytest.fixture
def admin():
    return UserFactory(username="calendar-admin", roles=["administrator"])


def test_everyone_signed_in_reads_which_years_are_official(api, time_machine):
    at(time_machine, datetime.date(2026, 11, 24))
    years = api(UserFactory(roles=["applicant"])).get(YEARS).json()
    assert [(row["year"], row["status"]) for row in years] == [
        (2025, "official"),
        (2026, "official"),
        (2027, "provisional"),
        (2028, "provisional"),
    ]
    assert "2027-02-08" in years[2]["statutory_rest_days"] and years[1]["statutory_rest_days"] == []
    assert api().get(YEARS).status_code == 401


@pytest.mark.parametrize("year", ["next", "1900", "2101"])
def test_a_bad_year_is_a_400_on_the_year(api, year):
    body = problem_of(api(UserFactory()).get(YEARS, {"year": year}), 400)
    assert fields_of(body) == {"year"}


def test_an_administrator_enters_the_days_and_confirms_the_year(api, admin):
    client = api(admin)
    refused = problem_of(client.post(CONFIRM, {"year": 2027}, format="json"), 400)
    assert fields_of(refused) == {"year"} and "还没有录入任何放假日期" in refused["errors"][0]["detail"]
    impossible = problem_of(
        client.post(OVERRIDES, {"date": "2027-02-30", "is_working_day": False}, format="json"), 400
    )
    assert fields_of(impossible) == {"date"}
    assert not HolidayOverride.objects.exists()
    made = client.post(
        OVERRIDES, {"date": "2027-02-20", "is_working_day": True, "note": "调休补班"}, format="json"
    )
    assert made.status_code == 201 and made.json() == {
        "date": "2027-02-20",
        "is_working_day": True,
        "note": "调休补班",
    }
    client.post(OVERRIDES, {"date": "2027-01-04", "is_working_day": False}, format="json")
    confirmed = client.post(CONFIRM, {"year": 2027, "note": "国务院办公厅通知"}, format="json")
    assert confirmed.status_code == 201, confirmed.content
    assert confirmed.json()["status"] == "confirmed" and confirmed.json()["statutory_rest_days"] == []
    assert CalendarYear.objects.get().confirmed_by == admin
    assert AuditEvent.objects.filter(actor=admin, action="workdays.set_override").count() == 2
    again = problem_of(client.post(CONFIRM, {"year": 2027}, format="json"), 400)
    assert "已经确认过了" in again["errors"][0]["detail"]
    recounts = client.get(RECOUNTS).json()["results"]
    assert [(row["trigger"], row["years"]) for row in recounts] == [("confirmed", "2027")]


def test_only_those_who_keep_the_calendar_write_it(api):
    clerk = api(UserFactory(roles=["window_clerk"]))
    assert (
        clerk.post(OVERRIDES, {"date": "2027-01-04", "is_working_day": False}, format="json").status_code
        == 403
    )
    assert clerk.post(CONFIRM, {"year": 2027}, format="json").status_code == 403
    DeadlineRecount.objects.create(trigger=DeadlineRecount.Trigger.MANUAL)
    assert clerk.get(RECOUNTS).json()["results"] == []
    assert not HolidayOverride.objects.exists()
