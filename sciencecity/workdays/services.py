"""Every write to the working-day calendar: overrides and year confirmations, each audited."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.audit.services import snapshot

from . import recount
from .calendar import package_covers
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
    """Raise ValidationError unless `year` may be confirmed; forms call it to show the reason beside the field."""
    if CalendarYear.objects.filter(year=year).exists():
        raise ValidationError(
            _("%(year)s年的年度日历已经确认过了;如需更正,请先撤销确认再重新确认。") % {"year": year},
            code="confirmed_already",
        )
    if package_covers(year):
        raise ValidationError(
            _("%(year)s年的法定节假日安排已内置于系统日历,无需确认。") % {"year": year}, code="package_year"
        )
    if not HolidayOverride.objects.filter(date__year=year, is_working_day=False).exists():
        raise ValidationError(
            _(
                "%(year)s年还没有录入任何放假日期。请先在“节假日调整”中按国务院办公厅通知录入该年的"
                "法定节假日和调休补班日,再确认年度日历;否则所有周一至周五(包括春节)都会被当作工作日。"
            )
            % {"year": year},
            code="empty_year",
        )


@transaction.atomic
def confirm_year(user, year: int, note: str = "") -> CalendarYear:
    """Declare that administrators have entered `year`'s official schedule in full as overrides.

    From then on deadlines in that year are official: overrides first, else Monday to Friday work. A year
    without any rest-day override is refused, since confirming it would make every weekday a working day,
    the Spring Festival included; so is a year confirmed already (withdraw the confirmation first). After
    commit, a background pass recounts every open deadline that was counted provisionally (`recount`).
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
