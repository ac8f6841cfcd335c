"""The enterprise registry in the admin. Saves go through `services`, so they are validated and audited."""

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Enterprise
from .validators import normalize_credit_code


class EnterpriseForm(forms.ModelForm):
    # Longer than the stored 18 characters, so that a code pasted with spaces or dashes can be compacted.
    credit_code = forms.CharField(
        label=Enterprise._meta.get_field("credit_code").verbose_name,
        max_length=40,
        help_text=_("可带空格或短横线,保存时自动去除并转为大写。"),
    )

    class Meta:
        model = Enterprise
        fields = (
            "name",
            "credit_code",
            "legal_representative",
            "industry",
            "is_high_tech",
            "is_tech_based",
            "address",
            "contact_phone",
        )

    def clean_credit_code(self):
        code = normalize_credit_code(self.cleaned_data["credit_code"])
        try:
            services.check_credit_code_available(code, exclude_pk=self.instance.pk)
        except forms.ValidationError as error:
            raise forms.ValidationError(error.message_dict["credit_code"]) from None
        return code


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    form = EnterpriseForm
    list_display = (
        "name",
        "credit_code",
        "industry",
        "is_high_tech",
        "is_tech_based",
        "legal_representative",
        "project_count",
        "updated_at",
    )
    list_filter = ("is_high_tech", "is_tech_based", "industry")
    search_fields = ("name", "credit_code", "legal_representative")
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_project_count=Count("projects"))

    @admin.display(description=_("项目数"), ordering="_project_count")
    def project_count(self, obj):
        return obj._project_count

    def has_delete_permission(self, request, obj=None):
        # Enterprises own projects and users; the registry keeps them (no delete service exists).
        return False

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name] for name in form.changed_data if name in services.ENTERPRISE_FIELDS
        }
        if change:
            saved = services.update_enterprise(request.user, Enterprise.objects.get(pk=obj.pk), **data)
        else:
            fields = {
                name: form.cleaned_data[name]
                for name in form.cleaned_data
                if name in services.ENTERPRISE_FIELDS
            }
            saved = services.register_enterprise(request.user, **fields)
        obj.pk, obj.created_at, obj.updated_at = saved.pk, saved.created_at, saved.updated_at
