"""The working-day calendar: official 2026 holidays with make-up days, overrides, confirmed years, pauses,
the management command, the administrators' warning banner and the audit of every change.

Expected dates are written by hand from the State Council's 2026 schedule (as shipped in chinese_calendar):
Spring Festival rest 2026-02-15..02-23, make-up Saturdays 02-14 and 02-28; National Day rest 10-01..10-07,
make-up days Sunday 09-20 and Saturday 10-10.
"""

import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from sciencecity.audit.models import AuditEvent
from sciencecity.workdays import services
from sciencecity.workdays.calendar import (
    Pause,
    UnknownCalendarYear,
    WorkingCalendar,
    add_working_days,
    deadline_after,
    is_working_day,
    is_year_known,
    provisional_rest_days,
    upcoming_unknown_year,
    working_days_between,
)
from sciencecity.workdays.context_processors import forget_calendar_warning
from sciencecity.workdays.models import CalendarYear, HolidayOverride
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
WARNING_2027 = "2027年的法定节假日安排尚未录入"


@pytest.fixture(autouse=True)
def _fresh_banner_cache():
    forget_calendar_warning()
    yield
    forget_calendar_warning()


@pytest.fixture
def admin_user():
    return UserFactory(roles=["administrator"], is_staff=True)


def enter_statutory_days(user, year=2027, *, but=()):
    """The rest days of the national rules (statutory holidays and the weekdays in lieu), except `but`: what a
    year must have before it can be confirmed."""
    for day in sorted(provisional_rest_days(year) - set(but)):
        services.set_override(user, day, False, "法定节假日")


@pytest.fixture
def calendar_2027(admin_user):
    """2027 entered by administrators: the statutory holidays off, then confirmed."""
    enter_statutory_days(admin_user)
    services.confirm_year(admin_user, 2027, "国务院办公厅关于2027年部分节假日安排的通知")


def at(day: datetime.date, time_machine):
    time_machine.move_to(datetime.datetime.combine(day, datetime.time(10, 0), tzinfo=SHANGHAI), tick=False)


# --- the official calendar ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 2, 13), True),  # Friday before the holiday
        (D(2026, 2, 14), True),  # Saturday, make-up working day
        (D(2026, 2, 15), False),  # Sunday, first day of the Spring Festival holiday
        (D(2026, 2, 16), False),  # Monday, holiday
        (D(2026, 2, 17), False),  # 春节 (New Year's Day of the lunar calendar)
        (D(2026, 2, 20), False),  # Friday, holiday
        (D(2026, 2, 23), False),  # Monday, last day of the holiday
        (D(2026, 2, 24), True),  # Tuesday, back at work
        (D(2026, 2, 28), True),  # Saturday, make-up working day
        (D(2026, 3, 1), False),  # ordinary Sunday
    ],
)
def test_spring_festival_2026(day, working):
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 9, 20), True),  # Sunday, make-up working day
        (D(2026, 9, 30), True),
        (D(2026, 10, 1), False),
        (D(2026, 10, 5), False),  # Monday, holiday
        (D(2026, 10, 7), False),  # last day of the holiday
        (D(2026, 10, 8), True),
        (D(2026, 10, 10), True),  # Saturday, make-up working day
        (D(2026, 10, 11), False),  # ordinary Sunday
    ],
)
def test_national_day_2026(day, working):
    assert is_working_day(day) is working


def test_deadline_across_national_day_counts_the_make_up_saturday():
    # 10-08 Thu, 10-09 Fri, 10-10 Sat (make-up), 10-12 Mon, 10-13 Tue.
    assert add_working_days(D(2026, 9, 30), 5) == D(2026, 10, 13)


def test_deadline_across_spring_festival():
    # 02-13 Fri, 02-14 Sat (make-up), then the holiday to 02-23, then 02-24 Tue, 02-25 Wed.
    assert add_working_days(D(2026, 2, 12), 4) == D(2026, 2, 25)


def test_start_day_never_counts_and_zero_days_is_the_start():
    assert add_working_days(D(2026, 10, 8), 1) == D(2026, 10, 9)
    assert add_working_days(D(2026, 10, 3), 0) == D(2026, 10, 3)
    assert add_working_days(D(2026, 10, 3), 1) == D(2026, 10, 8)


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(D(2026, 9, 30), -1)


def test_between_counts_days_after_a_up_to_b():
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 13)) == 5
    assert working_days_between(D(2026, 10, 13), D(2026, 9, 30)) == -5
    assert working_days_between(D(2026, 10, 1), D(2026, 10, 7)) == 0
    assert working_days_between(D(2026, 10, 9), D(2026, 10, 9)) == 0
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 28)) == 6  # 02-14, 02-24..02-27, 02-28


# --- pauses --------------------------------------------------------------------------------------------------


def test_a_pause_over_working_days_pushes_the_deadline():
    # 10-08 and 10-09 paused: 10-10, 10-12, 10-13, 10-14, 10-15.
    assert add_working_days(D(2026, 9, 30), 5, [Pause(D(2026, 10, 8), D(2026, 10, 9))]) == D(2026, 10, 15)
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 15), [Pause(D(2026, 10, 8), D(2026, 10, 9))]) == 5


def test_a_pause_over_a_holiday_changes_nothing():
    assert add_working_days(D(2026, 9, 30), 5, [Pause(D(2026, 10, 1), D(2026, 10, 7))]) == D(2026, 10, 13)


def test_pauses_may_be_given_as_pairs_of_days():
    assert add_working_days(D(2026, 9, 30), 5, [(D(2026, 10, 8), D(2026, 10, 8))]) == D(2026, 10, 14)


def test_an_open_pause_leaves_the_deadline_unknown():
    with pytest.raises(ValueError, match="still open"):
        add_working_days(D(2026, 9, 30), 5, [Pause(D(2026, 10, 9))])
    # Counting up to today through an open pause is fine: the paused days simply do not count.
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 13), [Pause(D(2026, 10, 12))]) == 3


def test_a_pause_must_not_end_before_it_starts():
    with pytest.raises(ValueError):
        Pause(D(2026, 10, 9), D(2026, 10, 8))


# --- unknown years, overrides, confirmed years ---------------------------------------------------------------


def test_the_package_years_are_known_without_any_row():
    assert is_year_known(2026)
    assert is_year_known(2004)
    assert not is_year_known(2027)
    assert not is_year_known(2003)


def test_an_unpublished_year_is_counted_provisionally_by_the_national_rules():
    """2027 is in neither the package nor a confirmation: weekends and the statutory holidays of the
    national rules rest (lunar dates from `holidays`), with the weekday in lieu of a holiday on a weekend,
    and no make-up working day is guessed."""
    assert not is_year_known(2027)
    assert not is_working_day(D(2027, 1, 1))  # 元旦, a Friday
    assert not is_working_day(D(2027, 1, 2))  # Saturday
    assert is_working_day(D(2027, 1, 4))
    # 春节: the eve (02-05) to the third day (02-08), the 2 days on the weekend in lieu on 02-09 and 02-10.
    assert [is_working_day(D(2027, 2, day)) for day in range(4, 12)] == [
        True, False, False, False, False, False, False, True,
    ]  # fmt: skip
    assert not is_working_day(D(2027, 10, 1))  # 国庆
    # 12-31 counts, 2027-01-01 rests, then 01-04..01-07.
    assert add_working_days(D(2026, 12, 30), 5) == D(2027, 1, 7)
    assert working_days_between(D(2026, 12, 1), D(2027, 1, 5)) == 22 + 2  # 12-02..12-31, 01-04, 01-05


def test_a_deadline_counted_over_a_provisional_day_is_provisional():
    assert deadline_after(D(2026, 12, 30), 5) == (D(2027, 1, 7), True)
    assert deadline_after(D(2026, 12, 1), 5) == (D(2026, 12, 8), False)
    assert deadline_after(D(2026, 12, 24), 5) == (D(2026, 12, 31), False)  # up to the last known day
    calendar = WorkingCalendar()
    assert calendar.is_provisional(D(2026, 12, 31), D(2027, 1, 4))
    assert not calendar.is_provisional(D(2026, 6, 1), D(2026, 12, 31))


def test_a_year_no_library_can_compute_is_refused_naming_the_year():
    with pytest.raises(UnknownCalendarYear, match="2101") as caught:
        is_working_day(D(2101, 3, 1))
    assert caught.value.year == 2101


def test_an_override_in_an_unconfirmed_year_applies_but_stays_provisional(admin_user):
    services.set_override(admin_user, D(2027, 2, 20), True, "春节调休补班")  # a Saturday
    services.set_override(admin_user, D(2027, 3, 1), False, "区级调休")
    assert is_working_day(D(2027, 2, 20))
    assert not is_working_day(D(2027, 3, 1))
    assert deadline_after(D(2027, 2, 18), 2) == (D(2027, 2, 20), True)


def test_an_override_wins_over_the_official_calendar(admin_user):
    services.set_override(admin_user, D(2026, 10, 9), False, "区级调休")
    services.set_override(admin_user, D(2026, 10, 17), True, "集中办理日")
    assert not is_working_day(D(2026, 10, 9))
    assert is_working_day(D(2026, 10, 17))
    # 10-08, 10-10, 10-12, 10-13, 10-14.
    assert add_working_days(D(2026, 9, 30), 5) == D(2026, 10, 14)
    assert working_days_between(D(2026, 10, 15), D(2026, 10, 19)) == 3  # 10-16, 10-17, 10-19


def test_setting_an_override_again_updates_the_row(admin_user):
    services.set_override(admin_user, D(2026, 10, 9), False, "区级调休")
    services.set_override(admin_user, D(2026, 10, 9), True, "撤销调休")
    assert HolidayOverride.objects.get().is_working_day is True
    assert is_working_day(D(2026, 10, 9))


def test_a_confirmed_year_uses_its_overrides_and_weekdays(calendar_2027):
    assert is_year_known(2027)
    assert not is_working_day(D(2027, 1, 1))  # Friday, override
    assert not is_working_day(D(2027, 1, 2))  # Saturday
    assert is_working_day(D(2027, 1, 4))  # Monday
    # 2026-12-31 Thu, 2027-01-04 Mon, 01-05 Tue.
    assert add_working_days(D(2026, 12, 30), 3) == D(2027, 1, 5)
    assert working_days_between(D(2026, 12, 30), D(2027, 1, 5)) == 3
    assert deadline_after(D(2027, 12, 1), 5) == (D(2027, 12, 8), False)
    assert deadline_after(D(2027, 12, 30), 5).provisional  # 2028 is not confirmed


def test_confirming_a_year_without_holidays_is_refused(admin_user):
    with pytest.raises(ValidationError, match="2027年还没有录入任何放假日期"):
        services.confirm_year(admin_user, 2027, "")
    services.set_override(admin_user, D(2027, 2, 6), True, "春节调休补班")
    with pytest.raises(ValidationError):  # only a make-up day: still no holiday entered
        services.confirm_year(admin_user, 2027, "")
    assert not CalendarYear.objects.exists()
    assert not is_year_known(2027)


def test_confirming_a_package_year_is_refused(admin_user):
    services.set_override(admin_user, D(2026, 10, 9), False, "")
    with pytest.raises(ValidationError, match="2026"):
        services.confirm_year(admin_user, 2026, "")


# --- audit ---------------------------------------------------------------------------------------------------


def test_services_write_audit_events(admin_user):
    override = services.set_override(admin_user, D(2027, 1, 1), False, "元旦")
    services.set_override(admin_user, D(2027, 1, 1), False, "元旦(更正)")
    enter_statutory_days(None, but=[D(2027, 1, 1)])  # by the platform: not asserted below
    confirmed = services.confirm_year(admin_user, 2027, "通知")
    events = [*AuditEvent.objects.filter(actor=admin_user).order_by("id")]
    assert [event.action for event in events] == [
        "workdays.set_override",
        "workdays.set_override",
        "workdays.confirm_year",
    ]
    assert all(event.actor == admin_user for event in events)
    assert events[0].before is None
    assert events[0].after["note"] == "元旦"
    assert events[0].after["date"] == "2027-01-01"
    assert events[1].before["note"] == "元旦"
    assert events[1].after["note"] == "元旦(更正)"
    assert events[1].target_id == str(override.pk)
    assert events[2].target_id == "2027"
    assert events[2].after["note"] == "通知"
    assert confirmed.confirmed_by == admin_user

    services.unconfirm_year(admin_user, confirmed)
    services.delete_override(admin_user, override)
    assert list(AuditEvent.objects.filter(actor=admin_user).order_by("id").values_list("action", flat=True))[
        3:
    ] == [
        "workdays.unconfirm_year",
        "workdays.delete_override",
    ]
    assert not is_year_known(2027)


# --- efficiency ----------------------------------------------------------------------------------------------


def test_add_working_days_reads_the_overrides_once(django_assert_max_num_queries, admin_user):
    services.set_override(admin_user, D(2026, 10, 9), False, "")
    with django_assert_max_num_queries(1):
        # About 60 calendar days: Mid-Autumn (09-25), National Day and the override on 10-09 skipped,
        # the make-up days 09-20 and 10-10 counted.
        assert add_working_days(D(2026, 9, 1), 40) == D(2026, 11, 3)
    with django_assert_max_num_queries(1):
        assert working_days_between(D(2026, 9, 1), D(2026, 11, 3)) == 40
    with django_assert_max_num_queries(1):
        add_working_days(D(2026, 1, 5), 200)


def test_a_span_into_a_confirmed_year_costs_one_more_query(django_assert_max_num_queries, calendar_2027):
    with django_assert_max_num_queries(2):
        add_working_days(D(2026, 11, 20), 45)
    with django_assert_max_num_queries(2):
        add_working_days(D(2026, 11, 20), 200)


def test_deadlines_of_one_action_share_its_calendar(django_assert_max_num_queries, admin_user):
    services.set_override(admin_user, D(2026, 6, 5), False, "")
    calendar = WorkingCalendar()
    with django_assert_max_num_queries(1):
        calendar.prepare(D(2026, 6, 1), 20)
        # The longest deadline read the span; the shorter ones and the override in it cost nothing more.
        # (The override on 06-05 and the Dragon Boat Festival on 06-19 are skipped.)
        assert add_working_days(D(2026, 6, 1), 20, calendar=calendar) == D(2026, 7, 1)
        assert add_working_days(D(2026, 6, 1), 5, calendar=calendar) == D(2026, 6, 9)
        assert add_working_days(D(2026, 6, 1), 3, [(D(2026, 6, 2), D(2026, 6, 2))], calendar=calendar) == (
            D(2026, 6, 8)
        )
    with django_assert_max_num_queries(1):
        # A span that starts before what was read: one query for the days not read yet.
        assert add_working_days(D(2026, 5, 25), 5, calendar=calendar) == D(2026, 6, 1)


def test_an_override_saved_after_a_deadline_was_computed_is_seen_by_the_next_action(admin_user):
    """Nothing is cached between actions: the next deadline, the next calendar, in any process, reads the
    override an administrator has just saved or removed."""
    assert add_working_days(D(2026, 6, 1), 5) == D(2026, 6, 8)
    first = WorkingCalendar()
    assert add_working_days(D(2026, 6, 1), 5, calendar=first) == D(2026, 6, 8)
    override = services.set_override(admin_user, D(2026, 6, 3), False, "local holiday")
    assert add_working_days(D(2026, 6, 1), 5) == D(2026, 6, 9)
    assert add_working_days(D(2026, 6, 1), 5, calendar=WorkingCalendar()) == D(2026, 6, 9)
    assert is_working_day(D(2026, 6, 3)) is False
    services.delete_override(admin_user, override)
    assert add_working_days(D(2026, 6, 1), 5) == D(2026, 6, 8)
    assert is_working_day(D(2026, 6, 3)) is True


# --- the management command ----------------------------------------------------------------------------------


def run(*args) -> str:
    out = StringIO()
    call_command("workdays", *args, stdout=out)
    return out.getvalue()


def test_command_add_and_between_print_only_the_value():
    assert run("add", "2026-09-30", "5") == "2026-10-13\n"
    assert run("add", "2026-09-30", "5", "--pause", "2026-10-08:2026-10-09") == "2026-10-15\n"
    assert run("between", "2026-09-30", "2026-10-13") == "5\n"
    assert run("between", "2026-10-13", "2026-09-30") == "-5\n"


def test_command_check_names_the_source(calendar_2027):
    assert "chinese_calendar" in run("check", "2026")
    assert "管理员" in run("check", "2027")
    with pytest.raises(CommandError, match="2028年"):
        run("check", "2028")


@pytest.mark.parametrize(
    "args",
    [
        ("add", "2026-02-30", "5"),
        ("add", "30/09/2026", "5"),
        ("add", "2026-09-30", "-1"),
        ("add", "2026-09-30", "five"),
        ("between", "2026-09-30", "tomorrow"),
        ("add", "2026-09-30", "5", "--pause", "2026-10-08"),
        ("check", "next"),
    ],
)
def test_command_rejects_bad_input_clearly(args):
    with pytest.raises(CommandError, match="无效"):
        run(*args)


def test_command_says_when_a_result_is_provisional():
    out, err = StringIO(), StringIO()
    call_command("workdays", "add", "2026-12-04", "20", stdout=out, stderr=err)
    assert out.getvalue() == "2027-01-04\n"  # the value alone, for scripts
    assert "暂定" in err.getvalue()
    assert run("between", "2026-12-30", "2027-01-10") == "6\n"  # 12-31, 01-04..01-08
    with pytest.raises(CommandError, match="2027年.*暂定"):
        run("check", "2027")


def test_command_sets_overrides_and_confirms_a_year_through_the_services(admin_user):
    enter_statutory_days(None)
    assert "工作日" in run(
        "set", "2027-02-20", "work", "--note", "春节调休补班", "--user", admin_user.username
    )
    run("set", "2027-10-08", "rest", "--note", "国庆", "--user", admin_user.username)
    assert "已确认" in run("confirm", "2027", "--note", "通知", "--user", admin_user.username)
    assert CalendarYear.objects.get().confirmed_by == admin_user
    assert AuditEvent.objects.filter(action="workdays.set_override", actor=admin_user).count() == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (("set", "2027-02-30", "rest"), "无效"),
        (("set", "2027-02-20", "holiday"), "invalid choice"),
        (("set", "2027-02-20", "work", "--user", "nobody"), "不存在"),
        (("confirm", "2027"), "还没有录入任何放假日期"),
        (("confirm", "2026"), "已内置"),
        (("confirm", "next"), "无效"),
    ],
)
def test_command_refuses_bad_calendar_input_clearly(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not HolidayOverride.objects.exists()


def test_confirming_a_year_twice_is_refused(admin_user, calendar_2027):
    with pytest.raises(ValidationError, match="已经确认过了"):
        services.confirm_year(admin_user, 2027, "again")
    with pytest.raises(CommandError, match="已经确认过了"):
        run("confirm", "2027")
    assert CalendarYear.objects.get().note == "国务院办公厅关于2027年部分节假日安排的通知"


# --- the administrators' warning -----------------------------------------------------------------------------


def test_upcoming_unknown_year(settings, calendar_2027):
    settings.WORKDAYS_WARNING_DAYS = 60
    assert upcoming_unknown_year(D(2026, 11, 24)) is None  # 2027 confirmed by the fixture
    CalendarYear.objects.all().delete()
    assert upcoming_unknown_year(D(2026, 11, 1)) is None  # 61 days before 2027
    assert upcoming_unknown_year(D(2026, 11, 2)) == 2027  # 60 days before
    assert upcoming_unknown_year(D(2026, 11, 24)) == 2027
    assert upcoming_unknown_year(D(2026, 11, 24), warning_days=30) is None
    assert upcoming_unknown_year(D(2027, 3, 1)) == 2027  # the current year itself


def test_warning_shows_to_an_administrator_in_admin_and_on_the_home_page(client, time_machine, admin_user):
    at(D(2026, 11, 24), time_machine)
    client.force_login(admin_user)
    admin_page = client.get("/admin/")
    assert admin_page.status_code == 200
    assert WARNING_2027 in admin_page.content.decode()
    assert "科学城项目服务平台 管理后台" in admin_page.content.decode()
    assert WARNING_2027 in client.get("/admin/workdays/holidayoverride/").content.decode()
    home = client.get("/me/")
    assert home.status_code == 200
    assert WARNING_2027 in home.content.decode()


def test_warning_is_not_shown_to_others(client, time_machine):
    at(D(2026, 11, 24), time_machine)
    login = client.get("/admin/login/").content.decode()
    assert "科学城项目服务平台 管理后台" in login
    assert WARNING_2027 not in login
    client.force_login(UserFactory(roles=["window_clerk"]))
    assert WARNING_2027 not in client.get("/me/").content.decode()


def test_warning_is_not_shown_far_from_the_new_year(client, time_machine, admin_user):
    at(D(2026, 9, 1), time_machine)
    client.force_login(admin_user)
    assert "法定节假日安排尚未录入" not in client.get("/me/").content.decode()


def test_warning_goes_away_once_the_year_is_confirmed(client, time_machine, admin_user):
    at(D(2026, 11, 24), time_machine)
    client.force_login(admin_user)
    assert WARNING_2027 in client.get("/me/").content.decode()  # the answer is now cached for the day
    enter_statutory_days(admin_user)
    services.confirm_year(admin_user, 2027, "")
    assert WARNING_2027 not in client.get("/me/").content.decode()
    assert WARNING_2027 not in client.get("/admin/").content.decode()


# --- the admin goes through the services ---------------------------------------------------------------------


def test_admin_saves_an_override_through_the_service(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/workdays/holidayoverride/add/",
        {"date": "2027-01-01", "is_working_day": "", "note": "元旦"},
    )
    assert response.status_code == 302, response.content.decode()
    override = HolidayOverride.objects.get()
    assert (override.date, override.is_working_day, override.note) == (D(2027, 1, 1), False, "元旦")
    event = AuditEvent.objects.get()
    assert (event.action, event.actor) == ("workdays.set_override", admin_user)
    changelist = client.get("/admin/workdays/holidayoverride/").content.decode()
    assert "元旦" in changelist
    assert "星期五" in changelist


def test_admin_confirms_a_year_through_the_service(client, admin_user):
    client.force_login(admin_user)
    refused = client.post("/admin/workdays/calendaryear/add/", {"year": "2027", "note": ""})
    assert refused.status_code == 200
    assert "2027年还没有录入任何放假日期" in refused.content.decode()
    assert not CalendarYear.objects.exists()

    services.set_override(admin_user, D(2027, 1, 1), False, "元旦")
    incomplete = client.post("/admin/workdays/calendaryear/add/", {"year": "2027", "note": "通知"})
    assert incomplete.status_code == 200
    assert "2027年的放假安排不完整" in incomplete.content.decode()
    assert "清明节 2027-04-05 不在放假安排中" in incomplete.content.decode()
    assert not CalendarYear.objects.exists()

    enter_statutory_days(admin_user, but=[D(2027, 1, 1)])
    response = client.post("/admin/workdays/calendaryear/add/", {"year": "2027", "note": "通知"})
    assert response.status_code == 302
    confirmed = CalendarYear.objects.get()
    assert confirmed.confirmed_by == admin_user
    assert AuditEvent.objects.filter(action="workdays.confirm_year", actor=admin_user).count() == 1
