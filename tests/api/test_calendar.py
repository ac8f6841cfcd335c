"""The working-day calendar through the API: which years are official or provisional, and what administrators
do when next year's schedule is published (enter days, confirm the year, follow the recount)."""

import datetime

import pytest

from sciencecity.audit.models import AuditEvent
from sciencecity.workdays.calendar import provisional_rest_days
from sciencecity.workdays.models import CalendarYear, DeadlineRecount, HolidayOverride
from tests.api.test_applications import fields_of, problem_of
from tests.approvals.conftest import at
from tests.factories import UserFactory
from tests.test_workdays_schedule import REST_DAYS_2027, SCHEDULE_2027, WORKING_DAYS_2027

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
    incomplete = problem_of(client.post(CONFIRM, {"year": 2027}, format="json"), 400)
    assert fields_of(incomplete) == {"year"} and "元旦 2027-01-01 不在放假安排中" in incomplete["detail"]
    statutory = provisional_rest_days(2027)
    for day in sorted(statutory):
        client.post(OVERRIDES, {"date": day.isoformat(), "is_working_day": False}, format="json")
    confirmed = client.post(CONFIRM, {"year": 2027, "note": "国务院办公厅通知"}, format="json")
    assert confirmed.status_code == 201, confirmed.content
    assert confirmed.json()["status"] == "confirmed" and confirmed.json()["statutory_rest_days"] == []
    assert CalendarYear.objects.get().confirmed_by == admin
    set_events = AuditEvent.objects.filter(actor=admin, action="workdays.set_override")
    assert set_events.count() == 2 + len(statutory)
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


# --- a year's whole schedule in one step ---------------------------------------------------------------------

SCHEDULE = "/api/v1/calendar/years/2027/schedule/"


def test_an_administrator_checks_a_schedule_without_writing(api, admin):
    HolidayOverride.objects.create(date=datetime.date(2027, 3, 1), is_working_day=False, note="区级调休")
    body = api(admin).post(SCHEDULE, {"text": SCHEDULE_2027}, format="json").json()  # dry_run by default
    assert body["errors"] == [] and body["missing_statutory"] == [] and body["warnings"] == []
    assert len(body["entries"]) == REST_DAYS_2027 + WORKING_DAYS_2027
    assert body["entries"][0] == {"date": "2027-01-01", "is_working_day": False, "note": "元旦", "line": 2}
    assert body["removed"] == [
        {
            "date": "2027-03-01",
            "before": {"date": "2027-03-01", "is_working_day": False, "note": "区级调休"},
            "after": None,
        }
    ]
    assert len(body["added"]) == len(body["entries"]) and body["changed"] == [] and body["unchanged"] == 0
    assert (body["can_confirm"], body["applied"], body["confirmed"]) == (True, False, False)
    assert (
        HolidayOverride.objects.count() == 1
        and not AuditEvent.objects.filter(action__startswith="workdays.").exists()
    )

    partial = "2027-01-01 休 元旦\n2027-03-03 班 调休\n"
    checked = api(admin).post(SCHEDULE, {"text": partial, "dry_run": True}, format="json").json()
    assert [error["code"] for error in checked["errors"]][:2] == ["weekday_make_up", "statutory_missing"]
    assert checked["errors"][0]["line"] == 2
    assert {"date": "2027-04-05", "name": "清明节"} in checked["missing_statutory"]
    assert checked["can_confirm"] is False


def test_an_administrator_imports_and_confirms_a_schedule(api, admin):
    client = api(admin)
    refused = problem_of(
        client.post(
            SCHEDULE, {"text": "2027-01-01 休 元旦\n2027-03-03 班 调休", "dry_run": False}, format="json"
        ),
        400,
    )
    assert fields_of(refused) == {"text"}
    details = [error["detail"] for error in refused["errors"]]
    assert "第2行:2027-03-03 是星期三,本来就是工作日;调休上班日应为星期六或星期日。" in details
    assert "清明节 2027-04-05 不在放假安排中。" in details
    assert {error["code"] for error in refused["errors"]} == {"weekday_make_up", "statutory_missing"}
    assert (
        not HolidayOverride.objects.exists()
        and not AuditEvent.objects.filter(action__startswith="workdays.").exists()
    )

    done = client.post(
        SCHEDULE, {"text": SCHEDULE_2027, "dry_run": False, "confirm": True, "note": "通知"}, format="json"
    )
    assert done.status_code == 200, done.content
    assert (done.json()["applied"], done.json()["confirmed"]) == (True, True)
    assert HolidayOverride.objects.count() == len(done.json()["entries"])
    assert CalendarYear.objects.get().note == "通知"
    actions = set(AuditEvent.objects.filter(actor=admin).values_list("action", flat=True))
    assert actions - {"api.create_token"} == {
        "workdays.set_override",
        "workdays.import_schedule",
        "workdays.confirm_year",
    }
    assert client.get(YEARS, {"year": 2027}).json()[0]["status"] == "confirmed"

    again = problem_of(
        client.post(SCHEDULE, {"text": SCHEDULE_2027, "dry_run": False, "confirm": True}, format="json"), 400
    )
    assert fields_of(again) == {"confirm"} and "已经确认过了" in again["detail"]


@pytest.mark.parametrize("year", ["1900", "2101"])
def test_a_schedule_of_a_year_out_of_range_is_a_400(api, admin, year):
    response = api(admin).post(f"/api/v1/calendar/years/{year}/schedule/", {"text": ""}, format="json")
    assert fields_of(problem_of(response, 400)) == {"year"}


def test_only_those_who_keep_the_calendar_import_a_schedule(api):
    clerk = api(UserFactory(roles=["window_clerk"]))
    for dry_run in (True, False):
        response = clerk.post(SCHEDULE, {"text": SCHEDULE_2027, "dry_run": dry_run}, format="json")
        assert problem_of(response, 403)["code"] == "forbidden"
    assert api().post(SCHEDULE, {"text": SCHEDULE_2027}, format="json").status_code == 401
    assert not HolidayOverride.objects.exists()
