"""Administrators' additions to the official working-day calendar.

`chinese-calendar` knows the State Council's schedules up to the year its release covers. For a later year,
administrators enter the published holidays and make-up working days as overrides and then mark the year as
confirmed; only then does the platform compute deadlines in that year. Overrides may also correct a known year
(a local holiday, a published change).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class HolidayOverride(models.Model):
    date = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(
        _("是否工作日"), help_text=_("勾选表示该日上班(如调休补班),不勾选表示该日放假")
    )
    note = models.CharField(_("说明"), max_length=200, blank=True, help_text=_("如:春节、国庆节调休补班"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("节假日调整")
        verbose_name_plural = pgettext_lazy("plural", "节假日调整")
        ordering = ["date"]

    def __str__(self):
        kind = _("工作日") if self.is_working_day else _("休息日")
        return f"{self.date:%Y-%m-%d} {kind} {self.note}".strip()


class CalendarYear(models.Model):
    """A year whose official schedule administrators have entered in full as overrides."""

    year = models.PositiveSmallIntegerField(_("年份"), primary_key=True)
    note = models.CharField(
        _("依据"), max_length=200, blank=True, help_text=_("如:国务院办公厅关于2027年部分节假日安排的通知")
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("确认人"), null=True, blank=True, on_delete=models.PROTECT
    )
    confirmed_at = models.DateTimeField(_("确认时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("已确认年度日历")
        verbose_name_plural = pgettext_lazy("plural", "已确认年度日历")
        ordering = ["-year"]

    def __str__(self):
        return str(self.year)
