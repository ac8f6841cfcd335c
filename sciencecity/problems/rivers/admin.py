"""Administrators keep the rivers and their monitoring sections here (through `services`, which check a
section's point against the zone and audit every save). Readings are entered and corrected by the sections'
departments on the pages and through the API: here they are read only."""

from django import forms
from django.contrib import admin

from . import services
from .models import MonitoringSection, River, WaterReading


class ServiceSaveMixin:
    save_with = None  # the service function that saves an object

    def save_model(self, request, obj, form, change):
        type(self).save_with(request.user, obj)  # the form has checked what the service checks

    def has_delete_permission(self, request, obj=None):
        return False  # readings and problems refer to them: retire one (is_active) instead


@admin.register(River)
class RiverAdmin(ServiceSaveMixin, admin.ModelAdmin):
    save_with = staticmethod(services.save_river)
    list_display = ("code", "name", "chief", "department", "order", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name", "name_en", "chief")


class SectionForm(forms.ModelForm):
    class Meta:
        model = MonitoringSection
        fields = [
            "river",
            "code",
            "name",
            "name_en",
            "level",
            "assessed",
            "latitude",
            "longitude",
            "target_class",
            "chief",
            "department",
            "description",
            "order",
            "is_active",
        ]

    def clean(self):
        data = super().clean()
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if latitude is not None and longitude is not None:
            from .. import geo

            if geo.area_at(float(latitude), float(longitude)) is None:
                self.add_error("latitude", services.outside_zone_message())
        return data


@admin.register(MonitoringSection)
class MonitoringSectionAdmin(ServiceSaveMixin, admin.ModelAdmin):
    save_with = staticmethod(services.save_section)
    form = SectionForm
    list_display = ("code", "name", "river", "level", "assessed", "target_class", "department", "is_active")
    list_filter = ("river", "level", "assessed", "is_active")
    list_select_related = ("river", "department")
    search_fields = ("code", "name", "name_en", "chief")


@admin.register(WaterReading)
class WaterReadingAdmin(admin.ModelAdmin):
    list_display = ("section", "month", "water_class", "source", "recorded_by", "corrected_at")
    list_filter = ("section__river", "water_class", "source")
    list_select_related = ("section", "recorded_by")
    date_hierarchy = "month"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
