"""The project registry in the admin. Saves go through `services`: registration, updates and phase changes are
validated (the phase only moves forward) and audited like any other write."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import services
from .models import MassStart, MassStartProject, Project


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = (
            "code",
            "name",
            "enterprise",
            "investment_type",
            "total_investment",
            "land_area",
            "floor_area",
            "location",
            "phase",
            "is_key",
        )

    def clean_phase(self):
        phase = self.cleaned_data["phase"]
        # The instance still holds the stored phase here: the form copies its data onto it only after cleaning.
        if self.instance.pk and phase != self.instance.phase:
            try:
                services.check_phase_transition(self.instance.phase, phase)
            except forms.ValidationError as error:
                raise forms.ValidationError(error.message_dict["phase"]) from None
        return phase


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = ProjectForm
    list_display = (
        "code",
        "name",
        "enterprise",
        "phase",
        "is_key",
        "investment_type",
        "total_investment",
        "updated_at",
    )
    list_filter = ("phase", "is_key", "investment_type")
    list_select_related = ("enterprise",)
    search_fields = ("name", "code", "enterprise__name", "enterprise__credit_code")
    autocomplete_fields = ("enterprise",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("code", "name", "enterprise", "location")}),
        (_("投资与规模"), {"fields": ("investment_type", "total_investment", "land_area", "floor_area")}),
        (_("进度"), {"fields": ("phase", "is_key")}),
        (_("记录"), {"fields": ("created_at", "updated_at")}),
    )

    def has_delete_permission(self, request, obj=None):
        # The registry keeps every project (the audit trail refers to them); no delete service exists.
        return False

    def save_model(self, request, obj, form, change):
        if change:
            project = Project.objects.get(pk=obj.pk)
            data = {
                name: form.cleaned_data[name] for name in form.changed_data if name in services.PROJECT_FIELDS
            }
            phase = data.pop("phase", None)
            if data:
                project = services.update_project(request.user, project, **data)
            if phase is not None and phase != project.phase:
                project = services.change_project_phase(request.user, project, phase)
        else:
            fields = {
                name: form.cleaned_data[name] for name in form.cleaned_data if name in services.PROJECT_FIELDS
            }
            project = services.register_project(request.user, **fields)
        obj.pk, obj.created_at, obj.updated_at = project.pk, project.created_at, project.updated_at


class MassStartProjectInline(admin.TabularInline):
    model = MassStartProject
    fields = ("project", "investment", "started_here", "added_by", "added_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(MassStart)
class MassStartAdmin(admin.ModelAdmin):
    """Read only: events and their projects are recorded on `/projects/mass-starts/` (or the API), whose
    services date each project's start and keep the totals."""

    list_display = ("held_on", "name", "place", "project_count", "total_investment")
    date_hierarchy = "held_on"
    search_fields = ("name", "place", "organizer")
    inlines = [MassStartProjectInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
