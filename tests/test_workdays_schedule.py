"""A year's holiday schedule in one step: pasted (or uploaded), checked, then imported and confirmed.

2027 is not in the calendar package. Its statutory holidays by the national rules are 元旦 01-01, 春节 02-05
(the eve) to 02-08, 清明节 04-05, 劳动节 05-01 and 05-02 (a weekend), 端午节 06-09, 中秋节 09-15 and 国庆节
10-01 to 10-03. The schedule below is one a State Council notice could give (make-up days 02-13 Saturday,
04-25 Sunday and 10-09 Saturday).
"""

import datetime
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from sciencecity.audit.models import AuditEvent
from sciencecity.workdays import services
from sciencecity.workdays.calendar import is_working_day, is_year_known
from sciencecity.workdays.models import CalendarYear, DeadlineRecount, HolidayOverride
from sciencecity.workdays.schedule import check_schedule, parse
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
IMPORT_PAGE = "/admin/workdays/calendaryear/import/"

SCHEDULE_2027 = """\
# 国务院办公厅关于2027年部分节假日安排的通知
2027-01-01~2027-01-03 休 元旦
2027-02-05 至 2027-02-12 休 春节
2027-02-13 班 春节调休

2027-04-05 休 清明节
2027-04-25 班 劳动节调休
2027-05-01 - 2027-05-05 休 劳动节
2027-06-09 休 端午节
2027-09-15 休 中秋节
2027-10-01~2027-10-07 休 国庆节
2027-10-09 班 国庆节调休
"""
REST_DAYS_2027 = 3 + 8 + 1 + 5 + 1 + 1 + 7
WORKING_DAYS_2027 = 3


@pytest.fixture
def admin_user():
    return UserFactory(roles=["administrator"], is_staff=True)


def without(text: str, fragment: str) -> str:
    return "\n".join(line for line in text.splitlines() if fragment not in line)


def codes(plan) -> list[str]:
    return [problem.code for problem in plan.errors]


# --- reading and checking ------------------------------------------------------------------------------------


def test_a_whole_year_checks_clean():
    plan = check_schedule(2027, SCHEDULE_2027)
    assert plan.ok, plan.errors
    assert (plan.rest_days, plan.working_days) == (REST_DAYS_2027, WORKING_DAYS_2027)
    assert not plan.missing_statutory and not plan.warnings
    assert [day.name for day in plan.statutory][:3] == ["元旦", "春节", "春节"]
    assert len(plan.statutory) == 13
    assert len(plan.added) == REST_DAYS_2027 + WORKING_DAYS_2027 and not plan.changed and not plan.removed
    assert plan.confirm_refusal == ""
    spring = [entry for entry in plan.entries if entry.note == "春节"]
    assert (spring[0].date, spring[-1].date, spring[0].line) == (D(2027, 2, 5), D(2027, 2, 12), 3)


def test_the_forms_a_schedule_is_written_in():
    text = "\n".join(
        [
            "date,kind,name",  # a CSV header
            "2027-01-01,rest,元旦",
            '"2027-02-05","holiday","春节"',
            "2027-02-13,work,春节调休",
            "2027-02-14\tworkday\t春节调休",  # tab-separated
            "2027/04/05 休 清明节  # the rest of a line after # is a comment",
            "2027年6月9日 放假 端午节",
            "2027-05-03 - 05-05 休 劳动节",  # the last day's year left out
            "2027-09-15 休",  # no name
            "2027-10-01～2027-10-02 上班 国庆",  # read; the statutory check refuses it below
        ]
    )
    entries, problems = parse(2027, text)
    assert problems == []
    assert [(entry.date, entry.is_working_day, entry.note) for entry in entries] == [
        (D(2027, 1, 1), False, "元旦"),
        (D(2027, 2, 5), False, "春节"),
        (D(2027, 2, 13), True, "春节调休"),
        (D(2027, 2, 14), True, "春节调休"),
        (D(2027, 4, 5), False, "清明节"),
        (D(2027, 5, 3), False, "劳动节"),
        (D(2027, 5, 4), False, "劳动节"),
        (D(2027, 5, 5), False, "劳动节"),
        (D(2027, 6, 9), False, "端午节"),
        (D(2027, 9, 15), False, ""),
        (D(2027, 10, 1), True, "国庆"),
        (D(2027, 10, 2), True, "国庆"),
    ]


def test_each_error_names_its_line():
    text = "\n".join(
        [
            SCHEDULE_2027,  # lines 1-13 (the last one blank)
            "十月一日放假",  # 14: unreadable
            "2027-02-30 休 x",  # 15: no such day
            "2026-12-31 休 跨年",  # 16: another year
            "2027-02-06 班 春节调休",  # 17: a rest day on line 3
            "2027-03-03 班 调休",  # 18: a Wednesday
            "2027-03-10~2027-03-01 休 x",  # 19: ends before it starts
            "2027-12-30~2028-01-02 休 元旦",  # 20: reaches another year
        ]
    )
    plan = check_schedule(2027, text)
    assert not plan.ok
    assert [
        (problem.code, problem.line) for problem in plan.errors if problem.code != "statutory_missing"
    ] == [
        ("unreadable", 14),
        ("invalid_date", 15),
        ("outside_year", 16),
        ("conflict", 17),
        ("invalid_span", 19),
        ("outside_year", 20),
        ("weekday_make_up", 18),
    ]
    messages = [problem.message for problem in plan.errors]
    assert "第14行无法识别:“十月一日放假”。" in messages[0]
    assert "第16行的日期 2026-12-31 不在2027年内。" in messages
    assert "2027-02-06 在第3行和第17行中一处为放假、一处为上班,只能保留一种。" in messages
    assert "第18行:2027-03-03 是星期三,本来就是工作日;调休上班日应为星期六或星期日。" in messages
    assert plan.error() is not None and len(plan.error().messages) == len(plan.errors)


def test_an_empty_text_is_an_error():
    plan = check_schedule(2027, "# nothing yet\n\n")
    assert "empty" in codes(plan)
    assert len(plan.missing_statutory) == 7  # every statutory holiday on a weekday


def test_every_statutory_holiday_left_a_working_day_is_named():
    text = without(SCHEDULE_2027, "清明节")
    text = text.replace(
        "2027-02-05 至 2027-02-12 休 春节", "2027-02-05 休\n2027-02-06 班\n2027-02-07~02-12 休"
    )
    text = text.replace("2027-05-01 - 2027-05-05", "2027-05-03 - 2027-05-05")
    plan = check_schedule(2027, text)
    assert [(day.date, day.name) for day in plan.missing_statutory] == [
        (D(2027, 2, 6), "春节"),  # a Saturday listed as a make-up working day
        (D(2027, 4, 5), "清明节"),  # a Monday left out
    ]  # 05-01 and 05-02, left out too, are a weekend: they rest anyway
    messages = [problem.message for problem in plan.errors]
    assert "清明节 2027-04-05 不在放假安排中。" in messages
    assert any("春节 2027-02-06 在放假安排中被列为上班日" in message for message in messages)


def test_fewer_weekday_holidays_than_the_rules_give_is_a_warning_only():
    """The statutory days alone, without the weekdays in lieu of those on a weekend: importable, but said."""
    text = "\n".join(
        [
            "2027-01-01 休 元旦",
            "2027-02-05~2027-02-08 休 春节",
            "2027-04-05 休 清明节",
            "2027-06-09 休 端午节",
            "2027-09-15 休 中秋节",
            "2027-10-01 休 国庆节",
        ]
    )
    plan = check_schedule(2027, text)
    assert plan.ok
    assert len(plan.warnings) == 1 and "应至少有13个周一至周五放假,这份安排只有7个" in plan.warnings[0]


def test_the_plan_shows_what_changes_against_the_stored_overrides(admin_user):
    services.set_override(admin_user, D(2027, 1, 1), False, "元旦")  # the same
    services.set_override(admin_user, D(2027, 4, 5), False, "清明")  # another name
    services.set_override(admin_user, D(2027, 3, 1), False, "区级调休")  # not in the schedule
    services.set_override(admin_user, D(2026, 12, 31), False, "另一年")  # another year: not compared
    plan = check_schedule(2027, SCHEDULE_2027)
    assert plan.unchanged == 1
    assert [(change.date, change.before.note, change.after.note) for change in plan.changed] == [
        (D(2027, 4, 5), "清明", "清明节")
    ]
    assert [(change.date, change.after) for change in plan.removed] == [(D(2027, 3, 1), None)]
    assert len(plan.added) == REST_DAYS_2027 + WORKING_DAYS_2027 - 2


# --- applying ------------------------------------------------------------------------------------------------


def test_import_makes_the_schedule_the_years_overrides_audited(admin_user):
    services.set_override(admin_user, D(2027, 4, 5), False, "清明")
    services.set_override(admin_user, D(2027, 3, 1), False, "区级调休")
    services.set_override(admin_user, D(2026, 12, 31), False, "另一年")
    before = AuditEvent.objects.count()

    plan = services.import_schedule(admin_user, 2027, SCHEDULE_2027)

    rows = HolidayOverride.objects.filter(date__year=2027)
    assert rows.count() == REST_DAYS_2027 + WORKING_DAYS_2027
    assert rows.get(date=D(2027, 4, 5)).note == "清明节"
    assert not rows.filter(date=D(2027, 3, 1)).exists()
    assert HolidayOverride.objects.filter(date=D(2026, 12, 31)).exists()
    assert not is_year_known(2027)  # imported, not confirmed
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert all(event.actor == admin_user for event in events)
    actions = [event.action for event in events]
    assert actions.count("workdays.delete_override") == 1
    assert actions.count("workdays.set_override") == len(plan.added) + len(plan.changed)
    summary = events[-1]
    assert summary.action == "workdays.import_schedule"
    assert summary.after["year"] == 2027 and summary.after["removed"] == ["2027-03-01"]
    assert summary.after["changed"] == ["2027-04-05"] and summary.after["confirm"] is False

    # Imported again, nothing changes and only the summary is written.
    again = services.import_schedule(admin_user, 2027, SCHEDULE_2027)
    assert not (again.added or again.changed or again.removed)
    assert AuditEvent.objects.order_by("-id").first().action == "workdays.import_schedule"
    assert AuditEvent.objects.count() == len(events) + before + 1


def test_import_and_confirm_in_one_step(admin_user):
    services.import_schedule(admin_user, 2027, SCHEDULE_2027, confirm=True, note="国办发明电〔2026〕X号")
    confirmed = CalendarYear.objects.get()
    assert (confirmed.year, confirmed.note, confirmed.confirmed_by) == (
        2027,
        "国办发明电〔2026〕X号",
        admin_user,
    )
    assert [event.action for event in AuditEvent.objects.order_by("-id")[:2]] == [
        "workdays.confirm_year",
        "workdays.import_schedule",
    ]
    assert DeadlineRecount.objects.get().years == "2027"  # provisional deadlines recounted after commit
    assert is_year_known(2027)
    assert not is_working_day(D(2027, 2, 12))  # rest by the schedule
    assert is_working_day(D(2027, 2, 13))  # the make-up Saturday
    assert is_working_day(D(2027, 3, 1))  # a Monday


def test_nothing_is_written_when_the_schedule_has_errors(admin_user):
    services.set_override(admin_user, D(2027, 3, 1), False, "区级调休")
    before = AuditEvent.objects.count()
    text = without(SCHEDULE_2027, "清明节") + "\n2027-03-03 班 调休\n"
    with pytest.raises(ValidationError) as caught:
        services.import_schedule(admin_user, 2027, text, confirm=True)
    assert caught.value.messages == [
        "第12行:2027-03-03 是星期三,本来就是工作日;调休上班日应为星期六或星期日。",
        "清明节 2027-04-05 不在放假安排中。",
    ]
    assert list(HolidayOverride.objects.values_list("date", flat=True)) == [D(2027, 3, 1)]
    assert AuditEvent.objects.count() == before
    assert not CalendarYear.objects.exists()


def test_a_confirmed_year_is_imported_again_only_without_confirming_it(admin_user):
    services.import_schedule(admin_user, 2027, SCHEDULE_2027, confirm=True)
    corrected = SCHEDULE_2027 + "2027-03-01 休 区级调休\n"
    plan = check_schedule(2027, corrected)
    assert plan.ok and "已经确认过了" in plan.confirm_refusal
    before = (HolidayOverride.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError, match="已经确认过了"):
        services.import_schedule(admin_user, 2027, corrected, confirm=True)
    assert (HolidayOverride.objects.count(), AuditEvent.objects.count()) == before
    services.import_schedule(admin_user, 2027, corrected)  # a correction
    assert HolidayOverride.objects.filter(date=D(2027, 3, 1)).exists()


def test_a_year_of_the_package_takes_overrides_but_no_confirmation(admin_user):
    plan = check_schedule(2026, "2026-10-09 休 区级调休")  # the package gives its statutory holidays
    assert plan.ok and "已内置" in plan.confirm_refusal
    with pytest.raises(ValidationError, match="已内置"):
        services.import_schedule(admin_user, 2026, "2026-10-09 休 区级调休", confirm=True)
    assert not HolidayOverride.objects.exists()
    services.import_schedule(admin_user, 2026, "2026-10-09 休 区级调休")
    assert not is_working_day(D(2026, 10, 9))


# --- confirming a year refuses a partial schedule -------------------------------------------------------------


def test_confirming_a_year_with_part_of_its_schedule_is_refused(admin_user):
    services.set_override(admin_user, D(2027, 1, 1), False, "元旦")
    with pytest.raises(ValidationError) as caught:
        services.confirm_year(admin_user, 2027, "")
    message = caught.value.messages[0]
    assert message.startswith("2027年的放假安排不完整,不能确认:")
    assert "春节 2027-02-05 不在放假安排中。" in message and "国庆节 2027-10-01 不在放假安排中。" in message
    assert "元旦" not in message
    assert not CalendarYear.objects.exists()


def test_confirming_a_year_whose_statutory_day_is_a_working_day_is_refused(admin_user):
    services.import_schedule(admin_user, 2027, SCHEDULE_2027)
    services.set_override(admin_user, D(2027, 10, 2), True, "改错了")  # a Saturday of 国庆节
    with pytest.raises(ValidationError, match="国庆节 2027-10-02 被录入为上班日"):
        services.confirm_year(admin_user, 2027, "")
    services.set_override(admin_user, D(2027, 10, 2), False, "国庆节")
    assert services.confirm_year(admin_user, 2027, "").year == 2027


# --- the admin page ------------------------------------------------------------------------------------------


def test_the_import_page_is_linked_and_checks_without_writing(client, admin_user):
    client.force_login(admin_user)
    for changelist in ("/admin/workdays/calendaryear/", "/admin/workdays/holidayoverride/"):
        assert IMPORT_PAGE in client.get(changelist).content.decode()
    assert IMPORT_PAGE in client.get("/admin/workdays/calendaryear/add/").content.decode()
    page = client.get(IMPORT_PAGE)
    assert page.status_code == 200 and "导入全年放假安排" in page.content.decode()
    assert page.context["form"].initial["year"] == 2027  # the year the warning is about

    bad = without(SCHEDULE_2027, "清明节") + "\n2027-03-03 班 调休\n"
    checked = client.post(IMPORT_PAGE, {"year": "2027", "text": bad, "action": "check"})
    html = checked.content.decode()
    assert checked.status_code == 200
    assert "清明节 2027-04-05 不在放假安排中" in html
    assert "2027-03-03 是星期三" in html
    assert 'value="import"' not in html and 'value="import_confirm"' not in html
    assert not HolidayOverride.objects.exists() and not AuditEvent.objects.exists()

    good = client.post(IMPORT_PAGE, {"year": "2027", "text": SCHEDULE_2027, "action": "check"})
    html = good.content.decode()
    assert "没有发现错误" in html and "通过:13 天法定节假日都放假" in html
    assert 'value="import"' in html and 'value="import_confirm"' in html
    assert "新增 29 天" in html
    assert not HolidayOverride.objects.exists()


def test_the_admin_imports_and_confirms_what_was_checked(client, admin_user):
    client.force_login(admin_user)
    checked = client.post(IMPORT_PAGE, {"year": "2027", "text": SCHEDULE_2027, "action": "check"})
    fingerprint = checked.context["form"]["checked"].value()
    data = {"year": "2027", "text": SCHEDULE_2027, "note": "通知", "checked": fingerprint}

    # Edited after the check: shown again, not imported.
    edited = client.post(
        IMPORT_PAGE, {**data, "text": SCHEDULE_2027 + "2027-03-01 休 x\n", "action": "import"}
    )
    assert edited.status_code == 200 and "请核对下面的检查结果后再导入" in edited.content.decode()
    assert not HolidayOverride.objects.exists()

    done = client.post(IMPORT_PAGE, {**data, "action": "import_confirm"}, follow=True)
    assert done.redirect_chain[-1][0] == "/admin/workdays/holidayoverride/?date__year=2027"
    assert "已导入2027年的放假安排:新增 29 天" in done.content.decode()
    assert HolidayOverride.objects.count() == REST_DAYS_2027 + WORKING_DAYS_2027
    confirmed = CalendarYear.objects.get()
    assert (confirmed.confirmed_by, confirmed.note) == (admin_user, "通知")
    actions = set(AuditEvent.objects.filter(actor=admin_user).values_list("action", flat=True))
    assert actions == {"workdays.set_override", "workdays.import_schedule", "workdays.confirm_year"}

    # The year is confirmed now: the check says so and offers the import alone.
    again = client.post(IMPORT_PAGE, {"year": "2027", "text": SCHEDULE_2027, "action": "check"})
    html = again.content.decode()
    assert 'value="import"' in html and 'value="import_confirm"' not in html and "已经确认过了" in html


def test_the_admin_checks_an_uploaded_csv(client, admin_user):
    client.force_login(admin_user)
    csv = "日期,类型,名称\n" + "\n".join(
        f"{line.split()[0]},{line.split()[1]},{line.split()[2]}"
        for line in SCHEDULE_2027.splitlines()
        if line and not line.startswith("#") and " - " not in line and "至" not in line
    )
    csv += "\n2027-02-05~2027-02-12,休,春节\n2027-05-01~2027-05-05,休,劳动节\n"
    upload = SimpleUploadedFile("2027.csv", csv.encode("gb18030"), content_type="text/csv")
    checked = client.post(IMPORT_PAGE, {"year": "2027", "text": "", "file": upload, "action": "check"})
    assert checked.status_code == 200
    plan = checked.context["plan"]
    assert plan.ok, plan.errors
    assert (plan.rest_days, plan.working_days) == (REST_DAYS_2027, WORKING_DAYS_2027)
    # The file's text goes into the page's text box; the browser sends it back with CRLF line ends.
    form = checked.context["form"]
    assert form["text"].value() == csv.strip()
    data = {"year": "2027", "text": csv.replace("\n", "\r\n"), "checked": form["checked"].value()}
    assert client.post(IMPORT_PAGE, {**data, "action": "import"}).status_code == 302
    assert HolidayOverride.objects.count() == REST_DAYS_2027 + WORKING_DAYS_2027
    assert not CalendarYear.objects.exists()


def test_the_import_page_is_for_those_who_keep_the_calendar(client):
    client.force_login(UserFactory(roles=["window_clerk"], is_staff=True))
    assert client.get(IMPORT_PAGE).status_code == 403
    assert (
        client.post(IMPORT_PAGE, {"year": "2027", "text": SCHEDULE_2027, "action": "import"}).status_code
        == 403
    )
    assert not HolidayOverride.objects.exists()


# --- the command ---------------------------------------------------------------------------------------------


def test_command_checks_and_imports_a_file(tmp_path, admin_user):
    path = tmp_path / "2027.txt"
    path.write_text(without(SCHEDULE_2027, "清明节"), encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="放假安排有错误,未导入"):
        call_command("workdays", "import", "2027", str(path), "--confirm", stdout=StringIO(), stderr=err)
    assert "清明节 2027-04-05 不在放假安排中" in err.getvalue()
    assert not HolidayOverride.objects.exists()

    path.write_text(SCHEDULE_2027, encoding="utf-8")
    out = StringIO()
    call_command("workdays", "import", "2027", str(path), "--check", stdout=out)
    assert "检查通过:13 天法定节假日都放假" in out.getvalue()
    assert not HolidayOverride.objects.exists()

    out = StringIO()
    call_command(
        "workdays",
        "import",
        "2027",
        str(path),
        "--confirm",
        "--note",
        "通知",
        "--user",
        admin_user.username,
        stdout=out,
    )
    assert "已导入2027年的放假安排:新增 29 天" in out.getvalue() and "年度日历已确认" in out.getvalue()
    assert CalendarYear.objects.get().confirmed_by == admin_user
