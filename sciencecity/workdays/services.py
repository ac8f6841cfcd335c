"""Every write to the working-day calendar: overrides and year confirmations, each audited."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.audit.services import snapshot

from .calendar import package_covers
from .context_processors import forget_calendar_warning
from .models import CalendarYear, HolidayOverride


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

    From then on deadlines in that year are computed: overrides first, else Monday to Friday work. A year
    without any rest-day override is refused, since confirming it would make every weekday a working day,
    the Spring Festival included. Confirming a confirmed year again records the new note and confirmer.
    """
    validate_year_confirmable(year)
    calendar_year = CalendarYear.objects.select_for_update().filter(year=year).first()
    before = snapshot(calendar_year) if calendar_year is not None else None
    if calendar_year is None:
        calendar_year = CalendarYear(year=year)
    calendar_year.note = note
    calendar_year.confirmed_by = user if getattr(user, "is_authenticated", False) else None
    calendar_year.full_clean(validate_unique=False)
    calendar_year.save()
    if before is not None:
        # A second confirmation dates from now; auto_now_add sets the field only on the first save.
        calendar_year.confirmed_at = timezone.now()
        calendar_year.save(update_fields=["confirmed_at"])
    record(user, "workdays.confirm_year", calendar_year, before=before, after=snapshot(calendar_year))
    _calendar_changed()
    return calendar_year


@transaction.atomic
def unconfirm_year(user, calendar_year: CalendarYear) -> None:
    """Withdraw a confirmation (entered by mistake): the year is unknown again until confirmed anew."""
    calendar_year = CalendarYear.objects.select_for_update().get(pk=calendar_year.pk)
    record(user, "workdays.unconfirm_year", calendar_year, before=snapshot(calendar_year), after=None)
    calendar_year.delete()
    _calendar_changed()
