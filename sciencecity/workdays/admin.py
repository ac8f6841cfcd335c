"""Administrators enter holidays and make-up working days here, and confirm a year once it is complete.

Every save and delete goes through `services`, so that each change is validated and audited.
"""

import chinese_calendar
from django import forms
from django.contrib import admin
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from . import services
from .calendar import package_covers
from .models import CalendarYear, DeadlineRecount, HolidayOverride


@admin.register(HolidayOverride)
class HolidayOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "weekday", "kind", "note", "official", "updated_at")
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


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    form = CalendarYearForm
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
