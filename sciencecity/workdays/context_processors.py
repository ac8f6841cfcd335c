"""The banner that warns administrators about a year whose working-day schedule nobody has entered."""

import datetime
import threading

from django.utils import timezone
from django.utils.translation import gettext

from .calendar import upcoming_unknown_year

# This runs on every page, so each process asks the calendar once a day; the services forget the answer
# when the calendar changes. Other processes see a change by the next day at the latest: it is a warning.
_lock = threading.Lock()
_checked: dict[datetime.date, int | None] = {}


def forget_calendar_warning() -> None:
    with _lock:
        _checked.clear()


def _unknown_year(today: datetime.date) -> int | None:
    with _lock:
        if today in _checked:
            return _checked[today]
    year = upcoming_unknown_year(today)
    with _lock:
        _checked.clear()
        _checked[today] = year
    return year


def _may_fix_calendar(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and (user.is_superuser or user.has_perm("workdays.change_holidayoverride"))
    )


def calendar_warning(request):
    """{"calendar_warning": message} for those who can enter holidays, when a year needs entering soon."""
    if not _may_fix_calendar(getattr(request, "user", None)):
        return {}
    year = _unknown_year(timezone.localdate())
    if year is None:
        return {}
    return {
        "calendar_warning": gettext(
            "%(year)s年的法定节假日安排尚未录入,该年的办理期限暂按法定节假日计算并标为“暂定”。"
            "请在管理后台“节假日调整”中录入国务院办公厅公布的安排,并在“已确认年度日历”中确认该年;"
            "确认后系统将重新计算所有暂定期限并通知相关人员。"
        )
        % {"year": year}
    }
