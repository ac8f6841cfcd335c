"""The audit trail in the API, read-only: `AuditEvent.objects.for_user` (those who read audit events see all,
everyone else their own actions). The events of one record: `?target_type=approvals.application&target_id=7`.
Each event carries its data as recorded (`before`, `after`) and its `changes` in words (`audit.trail`): the
names of the rows its values refer to are read for the whole page at once.
"""

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework import mixins, serializers

from sciencecity.api.filters import IdFilter
from sciencecity.api.views import ScopedViewSet

from . import labels
from .models import AuditEvent
from .trail import TrailReader

TARGET_TYPE = RegexValidator(
    r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$", _("对象类型的格式为“应用.模型”,例如 approvals.application。")
)


class ChangeSerializer(serializers.Serializer):
    label = serializers.CharField(help_text='the field\'s name; "" for a key without one (see `key`)')
    key = serializers.CharField(help_text="the recorded key, when it has no name")
    before = serializers.ListField(
        child=serializers.CharField(), allow_null=True, help_text="null: recorded only after the action"
    )
    after = serializers.ListField(child=serializers.CharField())

    def to_representation(self, change):
        return {
            "label": change.label,
            "key": change.key,
            "before": None if change.before is None else [value.text for value in change.before],
            "after": [value.text for value in change.after],
        }


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.IntegerField(source="actor_id", allow_null=True, read_only=True)
    actor_name = serializers.SerializerMethodField(help_text="null: the platform itself")
    action_display = serializers.SerializerMethodField()
    target_type = serializers.SerializerMethodField(help_text='"app_label.model"')
    before = serializers.JSONField(read_only=True, allow_null=True)
    after = serializers.JSONField(read_only=True, allow_null=True)
    changes = ChangeSerializer(many=True, read_only=True, help_text="what changed, in words")

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
            "changes",
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

    def get_serializer(self, *args, **kwargs):
        # The page's (or the one event's) changes read together: the rows they name in one query per model.
        if args and args[0] is not None:
            TrailReader().describe(args[0] if kwargs.get("many") else [args[0]])
        return super().get_serializer(*args, **kwargs)


routes = [("audit-events", AuditEventViewSet, "audit-event")]
