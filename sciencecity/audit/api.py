"""The audit trail in the API, read-only: `AuditEvent.objects.for_user` (those who read audit events see all,
everyone else their own actions). The events of one record: `?target_type=approvals.application&target_id=7`.
"""

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework import mixins, serializers

from sciencecity.api.filters import IdFilter
from sciencecity.api.views import ScopedViewSet

from . import labels
from .models import AuditEvent

TARGET_TYPE = RegexValidator(
    r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$", _("对象类型的格式为“应用.模型”,例如 approvals.application。")
)


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.IntegerField(source="actor_id", allow_null=True, read_only=True)
    actor_name = serializers.SerializerMethodField(help_text="null: the platform itself")
    action_display = serializers.SerializerMethodField()
    target_type = serializers.SerializerMethodField(help_text='"app_label.model"')
    before = serializers.JSONField(read_only=True, allow_null=True)
    after = serializers.JSONField(read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_name",
            "action",
            "action_display",
            "target_type",
            "target_id",
            "target_repr",
            "before",
            "after",
            "request_id",
        ]
        read_only_fields = fields

    def get_actor_name(self, event) -> str | None:
        return str(event.actor) if event.actor_id else None

    def get_action_display(self, event) -> str:
        return labels.action_display(event.action)

    def get_target_type(self, event) -> str | None:
        if event.target_type_id is None:
            return None
        return f"{event.target_type.app_label}.{event.target_type.model}"


class AuditEventFilter(filters.FilterSet):
    target_type = filters.CharFilter(
        method="filter_target_type", validators=[TARGET_TYPE], help_text='"app_label.model"'
    )
    target_id = filters.CharFilter()
    actor = IdFilter(field_name="actor_id", help_text="User id")
    action = filters.CharFilter(help_text='e.g. "approvals.claim_task"')

    class Meta:
        model = AuditEvent
        fields = ["target_type", "target_id", "actor", "action"]

    def filter_target_type(self, queryset, name, value):
        app_label, model = value.split(".", 1)
        return queryset.filter(target_type__app_label=app_label, target_type__model=model)


class AuditEventViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Audit events, newest first."""

    model = AuditEvent
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def scope(self, queryset):
        return queryset.select_related("actor", "target_type")


routes = [("audit-events", AuditEventViewSet, "audit-event")]
