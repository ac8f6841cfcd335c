"""Every write to the working-day calendar: overrides, whole schedules and year confirmations, each audited."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.audit.services import snapshot

from . import recount, schedule
from .context_processors import forget_calendar_warning
from .models import CalendarYear, DeadlineRecount, HolidayOverride


def _calendar_changed() -> None:
    """Let the administrators' banner see the change now and, in this process, after commit too."""
    forget_calendar_warning()
    transaction.on_commit(forget_calendar_warning)


@transaction.atomic
def set_override(user, day: datetime.date, is_working_day: bool, note: str = "") -> HolidayOverride:
    """Make `day` a working day or a rest day whatever the official calendar says; creates or updates its row."""
    override = HolidayOverride.objects.select_for_update().filter(date=day).first()
    before = snapshot(override) if override is not None else None
    if override is None:
        override = HolidayOverride(date=day)
    override.is_working_day = is_working_day
    override.note = note
    override.full_clean(validate_unique=False)
    override.save()
    record(user, "workdays.set_override", override, before=before, after=snapshot(override))
    _calendar_changed()
    return override


@transaction.atomic
def delete_override(user, override: HolidayOverride) -> None:
    """Remove an override, so that the day follows the official (or weekday) calendar again."""
    override = HolidayOverride.objects.select_for_update().get(pk=override.pk)
    record(user, "workdays.delete_override", override, before=snapshot(override), after=None)
    override.delete()
    _calendar_changed()


def validate_year_confirmable(year: int) -> None:
    """Raise ValidationError unless `year` may be confirmed; forms call it to show the reason beside the field.

    Besides a year confirmed already or in the package, a year is refused while its overrides leave a
    statutory holiday of the national rules a working day: confirmed, the year would count it as one."""
    refusal = schedule.confirmation_refusal(year)
    if refusal is not None:
        raise refusal
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    overrides = dict(
        HolidayOverride.objects.filter(date__gte=first, date__lte=last).values_list("date", "is_working_day")
    )
    if not any(not working for working in overrides.values()):
        raise ValidationError(
            _(
                "%(year)s年还没有录入任何放假日期。请先在“节假日调整”中按国务院办公厅通知录入该年的"
                "法定节假日和调休补班日,再确认年度日历;否则所有周一至周五(包括春节)都会被当作工作日。"
            )
            % {"year": year},
            code="empty_year",
        )
    missing = schedule.statutory_problems(year, overrides)
    if missing:
        raise ValidationError(
            _("%(year)s年的放假安排不完整,不能确认:") % {"year": year}
            + "".join(problem.message for _day, problem in missing)
            + _("请补录后再确认,或在“导入全年放假安排”中一次导入全年安排。"),
            code="statutory_missing",
        )


@transaction.atomic
def confirm_year(user, year: int, note: str = "") -> CalendarYear:
    """Declare that administrators have entered `year`'s official schedule in full as overrides.

    From then on deadlines in that year are official: overrides first, else Monday to Friday work. So a year
    whose overrides leave a statutory holiday of the national rules a working day is refused, naming each
    such day (a year without any rest day entered would make every weekday a working day, the Spring Festival
    included); so is a year confirmed already (withdraw the confirmation first). After commit, a background
    pass recounts every open deadline that was counted provisionally (`recount`).
    """
    # The lock on the year's row, when it exists: a second confirmation is refused. Two first confirmations
    # racing each other both find no row; the primary key makes the second insert fail rather than pass.
    CalendarYear.objects.select_for_update().filter(year=year).exists()
    validate_year_confirmable(year)
    calendar_year = CalendarYear(year=year, note=note, confirmed_by=_user_or_none(user))
    calendar_year.full_clean(validate_unique=False)
    calendar_year.save(force_insert=True)
    record(user, "workdays.confirm_year", calendar_year, before=None, after=snapshot(calendar_year))
    _calendar_changed()
    recount.request_recount(user, DeadlineRecount.Trigger.CONFIRMED, [year])
    return calendar_year


def _user_or_none(user):
    return user if getattr(user, "is_authenticated", False) else None


@transaction.atomic
def unconfirm_year(user, calendar_year: CalendarYear) -> None:
    """Withdraw a confirmation (entered by mistake): the year is unknown again until confirmed anew."""
    calendar_year = CalendarYear.objects.select_for_update().get(pk=calendar_year.pk)
    record(user, "workdays.unconfirm_year", calendar_year, before=snapshot(calendar_year), after=None)
    calendar_year.delete()
    _calendar_changed()


@transaction.atomic
def import_schedule(
    user, year: int, text: str, *, confirm: bool = False, note: str = ""
) -> schedule.SchedulePlan:
    """Make `text` (a pasted or uploaded schedule, see `schedule`) `year`'s overrides, in one transaction.

    The overrides the schedule lists are added or updated and those of the year it leaves out are deleted,
    each audited as a single change would be, then one `workdays.import_schedule` event sums the import up.
    With `confirm`, the year is confirmed in the same step (`confirm_year`: audited, provisional deadlines
    recounted after commit). A plan with errors (or a confirmation refused) raises ValidationError with
    every message and writes nothing. Returns the plan applied.
    """
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    # Lock what the import replaces, then check it as it is now: the plan applied is the plan checked.
    stored = {
        row.date: row
        for row in HolidayOverride.objects.select_for_update().filter(date__gte=first, date__lte=last)
    }
    CalendarYear.objects.select_for_update().filter(year=year).exists()
    plan = schedule.check_schedule(year, text)
    error = plan.error(confirm=confirm)
    if error is not None:
        raise error
    for change in plan.removed:
        delete_override(user, stored[change.date])
    for change in [*plan.added, *plan.changed]:
        set_override(user, change.date, change.after.is_working_day, change.after.note)
    record(
        user,
        "workdays.import_schedule",
        None,
        before=None,
        after={
            "year": year,
            "rest_days": plan.rest_days,
            "working_days": plan.working_days,
            "added": [change.date.isoformat() for change in plan.added],
            "changed": [change.date.isoformat() for change in plan.changed],
            "removed": [change.date.isoformat() for change in plan.removed],
            "confirm": confirm,
        },
    )
    _calendar_changed()
    if confirm:
        confirm_year(user, year, note)
    return plan
