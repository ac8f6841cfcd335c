"""Administrators enter holidays and make-up working days here, and confirm a year once it is complete;
or paste (or upload) a year's whole schedule, check it and import it, confirming the year in the same step.

Every save and delete goes through `services`, so that each change is validated and audited.
"""

import hashlib

import chinese_calendar
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import schedule, services
from .calendar import package_covers, upcoming_unknown_year
from .clock import today
from .models import CalendarYear, DeadlineRecount, HolidayOverride

SCHEDULE_FILE_MAX_BYTES = 200_000


@admin.register(HolidayOverride)
class HolidayOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "weekday", "kind", "note", "official", "updated_at")
    change_list_template = "admin/workdays/holidayoverride/change_list.html"
    list_filter = ("is_working_day",)
    date_hierarchy = "date"
    search_fields = ("note",)
    fields = ("date", "is_working_day", "note")

    @admin.display(description=_("星期"))
    def weekday(self, obj):
        return WEEKDAYS[obj.date.weekday()]

    @admin.display(description=_("调整为"), ordering="is_working_day")
    def kind(self, obj):
        return _("工作日(上班)") if obj.is_working_day else _("休息日(放假)")

    @admin.display(description=_("内置日历"))
    def official(self, obj):
        """What the bundled official calendar says, so that redundant or contradicting rows stand out."""
        if not package_covers(obj.date.year):
            return _("未收录")
        return _("工作日") if chinese_calendar.is_workday(obj.date) else _("休息日")

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_import": CalendarYearAdmin.may_import(request.user)}
        return super().changelist_view(request, extra_context)

    def get_readonly_fields(self, request, obj=None):
        # The date identifies the row: to move an override, delete it and add another.
        return ("date",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        saved = services.set_override(request.user, obj.date, obj.is_working_day, obj.note)
        obj.pk, obj.updated_at = saved.pk, saved.updated_at

    def delete_model(self, request, obj):
        services.delete_override(request.user, obj)

    def delete_queryset(self, request, queryset):
        for override in queryset:
            services.delete_override(request.user, override)


class CalendarYearForm(forms.ModelForm):
    class Meta:
        model = CalendarYear
        fields = ("year", "note")

    def validate_unique(self):
        """The year's uniqueness is checked by `validate_year_confirmable`, with a clearer message."""

    def clean(self):
        cleaned_data = super().clean()
        year = cleaned_data.get("year")
        if year is not None and not self.instance.pk:
            try:
                services.validate_year_confirmable(year)
            except forms.ValidationError as error:
                self.add_error("year" if "year" in self.fields else None, error)
        return cleaned_data


class ScheduleForm(forms.Form):
    """A year's whole schedule: pasted, or read from an uploaded text or CSV file."""

    year = forms.IntegerField(label=_("年份"), min_value=1950, max_value=2100)
    text = forms.CharField(
        label=_("放假安排"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 16, "class": "schedule-text", "spellcheck": "false"}),
        help_text=_(
            "每行一天或一段日期:“2027-02-05~2027-02-12 休 春节”“2027-02-13 班 春节调休”;"
            "区间可用 ~、至 或 -,休/班 也可写作 rest/work;# 开头为注释。也可粘贴“日期,类型,名称”格式的 CSV。"
        ),
    )
    file = forms.FileField(
        label=_("或上传文件"),
        required=False,
        help_text=_("文本或 CSV 文件(UTF-8 或 GB18030 编码);上传后以文件内容为准。"),
    )
    note = forms.CharField(
        label=_("依据"),
        required=False,
        max_length=200,
        help_text=_("确认年度日历时记录,如:国务院办公厅关于2027年部分节假日安排的通知"),
    )
    checked = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned_data = super().clean()
        upload = cleaned_data.get("file")
        if upload:
            if upload.size > SCHEDULE_FILE_MAX_BYTES:
                raise ValidationError(_("文件太大:放假安排最多 200 KB。"), code="file_too_large")
            content = upload.read()
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    cleaned_data["text"] = content.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                raise ValidationError(_("无法读取文件:请使用 UTF-8 或 GB18030 编码的文本或 CSV 文件。"))
        # Browsers send a text box's lines ended by CRLF: one form of the text, whatever it came from.
        cleaned_data["text"] = "\n".join(cleaned_data.get("text", "").splitlines())
        return cleaned_data

    def fingerprint(self) -> str:
        """What was checked, so that an import applies exactly the schedule the administrator has seen."""
        data = f"{self.cleaned_data['year']}\n{self.cleaned_data['text']}"
        return hashlib.sha256(data.encode()).hexdigest()


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    form = CalendarYearForm
    change_list_template = "admin/workdays/calendaryear/change_list.html"
    change_form_template = "admin/workdays/calendaryear/change_form.html"
    list_display = ("year", "note", "rest_days", "working_days", "confirmed_by", "confirmed_at")
    readonly_fields = ("confirmed_by", "confirmed_at")

    def get_readonly_fields(self, request, obj=None):
        # A confirmation is not edited: withdraw it (delete) and confirm again.
        return ("year", "note", *self.readonly_fields) if obj is not None else self.readonly_fields

    def get_fields(self, request, obj=None):
        return ("year", "note", "confirmed_by", "confirmed_at") if obj is not None else ("year", "note")

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    @admin.display(description=_("已录入放假日"))
    def rest_days(self, obj):
        return HolidayOverride.objects.filter(date__year=obj.year, is_working_day=False).count()

    @admin.display(description=_("已录入补班日"))
    def working_days(self, obj):
        return HolidayOverride.objects.filter(date__year=obj.year, is_working_day=True).count()

    def save_model(self, request, obj, form, change):
        saved = services.confirm_year(request.user, obj.year, obj.note)
        obj.confirmed_by, obj.confirmed_at = saved.confirmed_by, saved.confirmed_at

    def delete_model(self, request, obj):
        services.unconfirm_year(request.user, obj)

    def delete_queryset(self, request, queryset):
        for calendar_year in queryset:
            services.unconfirm_year(request.user, calendar_year)

    # --- a year's whole schedule in one step ---------------------------------------------------------------

    def get_urls(self):
        urls = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_schedule_view),
                name="workdays_calendaryear_import",
            )
        ]
        return urls + super().get_urls()

    @staticmethod
    def may_import(user) -> bool:
        return user.has_perms(
            [
                "workdays.add_holidayoverride",
                "workdays.change_holidayoverride",
                "workdays.delete_holidayoverride",
            ]
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_import": self.may_import(request.user)}
        return super().changelist_view(request, extra_context)

    def import_schedule_view(self, request):
        """导入全年放假安排: check (a preview that writes nothing), then import, or import and confirm."""
        if not self.may_import(request.user):
            raise PermissionDenied
        may_confirm = request.user.has_perm("workdays.add_calendaryear")
        plan = None
        if request.method == "POST":
            form = ScheduleForm(request.POST, request.FILES)
            action = request.POST.get("action", "check")
            if form.is_valid():
                year, text = form.cleaned_data["year"], form.cleaned_data["text"]
                fresh = form.cleaned_data["checked"] == form.fingerprint()
                if action in ("import", "import_confirm") and not fresh:
                    messages.warning(
                        request, gettext("放假安排在检查后有改动,请核对下面的检查结果后再导入。")
                    )
                elif action in ("import", "import_confirm"):
                    confirm = action == "import_confirm"
                    if confirm and not may_confirm:
                        raise PermissionDenied
                    try:
                        applied = services.import_schedule(
                            request.user, year, text, confirm=confirm, note=form.cleaned_data["note"]
                        )
                    except ValidationError as error:
                        for message in error.messages:
                            messages.error(request, message)
                    else:
                        messages.success(request, self._imported_message(applied, confirm))
                        return redirect(
                            reverse("admin:workdays_holidayoverride_changelist") + f"?date__year={year}"
                        )
                plan = schedule.check_schedule(year, text)
                # The text as checked, an uploaded file's included: the import sends it back.
                data = request.POST.copy()
                data["text"], data["checked"] = text, form.fingerprint()
                form = ScheduleForm(data)
                form.is_valid()
        else:
            year = upcoming_unknown_year(today()) or today().year + 1
            form = ScheduleForm(initial={"year": year})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("导入全年放假安排"),
            "form": form,
            "plan": plan,
            "may_confirm": may_confirm,
            "example": EXAMPLE_SCHEDULE,
        }
        return TemplateResponse(request, "admin/workdays/calendaryear/import_schedule.html", context)

    @staticmethod
    def _imported_message(plan, confirmed: bool) -> str:
        values = {
            "year": plan.year,
            "added": len(plan.added),
            "changed": len(plan.changed),
            "removed": len(plan.removed),
        }
        message = (
            gettext("已导入%(year)s年的放假安排:新增 %(added)s 天,修改 %(changed)s 天,删除 %(removed)s 天。")
            % values
        )
        if confirmed:
            message += gettext("该年度日历已确认,暂定期限将在后台重新计算。")
        return message


# The format shown beside the text box (translated: `rest`/`work` read as well as 休/班).
EXAMPLE_SCHEDULE = _(
    "# 国务院办公厅关于2027年部分节假日安排的通知\n2027-01-01 休 元旦\n2027-02-05~2027-02-12 休 春节\n2027-02-13 班 春节调休"
)


@admin.register(DeadlineRecount)
class DeadlineRecountAdmin(admin.ModelAdmin):
    """The passes over open provisional deadlines after a year became official, with their progress."""

    list_display = (
        "created_at",
        "trigger",
        "years",
        "status",
        "examined",
        "moved",
        "firmed",
        "still_provisional",
        "finished_at",
    )
    list_filter = ("status", "trigger")
    readonly_fields = [field.name for field in DeadlineRecount._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
