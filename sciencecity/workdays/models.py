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

from sciencecity.accounts.scoping import ScopedQuerySet


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


class DeadlineRecountQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """Administrators who keep the calendar read the passes; nobody else does."""
        if user is not None and user.is_authenticated and user.has_perm("workdays.view_deadlinerecount"):
            return self.all()
        return self.none()


class DeadlineRecount(models.Model):
    """One pass over the open provisional deadlines after a year became official: its progress and outcome.

    Made when administrators confirm a year (or when the daily scan finds that an upgraded calendar package
    now covers a year that open deadlines were counted in provisionally); run by a background task. The counts
    are written as the pass goes, so that administrators see how far it is.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("进行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    class Trigger(models.TextChoices):
        CONFIRMED = "confirmed", _("管理员确认了年度日历")
        PACKAGE = "package", _("内置日历已收录该年")
        MANUAL = "manual", _("手动重算")

    trigger = models.CharField(_("原因"), max_length=20, choices=Trigger.choices)
    years = models.CharField(_("年份"), max_length=100, blank=True, help_text=_("成为正式日历的年份"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, blank=True, on_delete=models.PROTECT
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    examined = models.PositiveIntegerField(_("已检查"), default=0)
    moved = models.PositiveIntegerField(_("期限变动"), default=0)
    firmed = models.PositiveIntegerField(_("转为确定、日期不变"), default=0)
    still_provisional = models.PositiveIntegerField(_("仍为暂定"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)

    objects = DeadlineRecountQuerySet.as_manager()

    class Meta:
        verbose_name = _("暂定期限重算")
        verbose_name_plural = pgettext_lazy("plural", "暂定期限重算")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status"], name="recount_status_idx")]

    def __str__(self):
        return f"{self.years} {self.get_trigger_display()} · {self.get_status_display()}".strip()
