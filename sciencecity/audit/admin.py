"""The audit trail in the admin: read-only for everybody, superusers included (no add, change or delete)."""

import json

from django.contrib import admin
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent


def pretty_json(value) -> str:
    if value is None:
        return "—"
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, cls=DjangoJSONEncoder)
    return format_html('<pre class="audit-json">{}</pre>', text)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "target_type", "target_repr", "request_id", "ip_address")
    list_filter = ("action", "target_type", "created_at")
    list_select_related = ("actor", "target_type")
    search_fields = (
        "action",
        "target_repr",
        "target_id",
        "request_id",
        "actor__username",
        "actor__display_name",
    )
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "actor",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "before_pretty",
        "after_pretty",
        "request_id",
        "ip_address",
    )
    readonly_fields = fields

    @admin.display(description=_("变更前"))
    def before_pretty(self, obj):
        return pretty_json(obj.before)

    @admin.display(description=_("变更后"))
    def after_pretty(self, obj):
        return pretty_json(obj.after)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
