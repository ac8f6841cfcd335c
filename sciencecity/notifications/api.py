"""The caller's own notifications in the API: the list (filtered by read state, kind and whatever the subject
apps add), one notification, marking one, one kind or all read, and the unread counts per kind.

Fields and filters that depend on what a notification is about (approvals' `application` and `task`) are
contributed by the app that owns the subject, with `register_subject_fields` in its `AppConfig.ready`: this
app names no domain model. A page of notifications has its subjects fetched in one query per kind of subject
(`subjects.prefetch_subjects`), so the contributed values cost no query per row.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django_filters import rest_framework as django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from sciencecity.api.views import ScopedViewSet

from . import selectors, services
from .models import Notification
from .subjects import prefetch_subjects

# --- what the subject apps contribute ---------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectFields:
    """Read-only fields derived from a notification's subject.

    `fields` makes the serializer fields (by name, in order; each reads `subject_source(name)`, where
    `describe_subjects` puts the values); `values` maps a subject (any model instance, or None) to
    {name: value} for every name it contributes (None for a subject not its own); `filters` makes the list's
    query filters (by name)."""

    fields: Callable[[], dict[str, serializers.Field]]
    values: Callable[[object], dict]
    filters: Callable[[], dict[str, django_filters.Filter]] = dict


_contributions: list[SubjectFields] = []


def register_subject_fields(contribution: SubjectFields) -> SubjectFields:
    if contribution not in _contributions:
        _contributions.append(contribution)
        _serializer_class.cache_clear()
        _filterset_class.cache_clear()
    return contribution


def subject_source(name: str) -> str:
    """The `source` of a contributed serializer field."""
    return f"subject_fields.{name}"


def describe_subjects(notifications) -> None:
    """Fetch the subjects of `notifications` and give each its contributed values (`subject_fields`)."""
    notifications = list(notifications)
    prefetch_subjects(notifications)
    for notification in notifications:
        values = {}
        for contribution in _contributions:
            values.update(contribution.values(notification.about))
        notification.subject_fields = values


# --- serializers ------------------------------------------------------------------------------------------

BEFORE_SUBJECT = ["id", "kind", "kind_display", "title", "body"]
AFTER_SUBJECT = ["created_at", "read_at", "is_read"]


class BaseNotificationSerializer(serializers.ModelSerializer):
    title = serializers.CharField(
        source="shown_title", read_only=True, help_text="Title in the language asked for by Accept-Language"
    )
    body = serializers.CharField(
        source="shown_body", read_only=True, help_text="Body in the language asked for by Accept-Language"
    )
    is_read = serializers.SerializerMethodField()
    kind_display = serializers.CharField(
        source="kind_label",
        read_only=True,
        help_text="The kind's name in the language asked for by Accept-Language",
    )

    class Meta:
        model = Notification
        fields = [*BEFORE_SUBJECT, *AFTER_SUBJECT]
        read_only_fields = fields

    def get_is_read(self, notification) -> bool:
        return notification.read_at is not None


@functools.cache
def _serializer_class():
    """The notification serializer with the subject apps' fields (built once they have all registered)."""
    fields = {}
    for contribution in _contributions:
        fields.update(contribution.fields())
    names = [*BEFORE_SUBJECT, *fields, *AFTER_SUBJECT]
    meta = type("Meta", (BaseNotificationSerializer.Meta,), {"fields": names, "read_only_fields": names})
    # Named as before the subject was generic, so the API schema's component keeps its name.
    return type("NotificationSerializer", (BaseNotificationSerializer,), {**fields, "Meta": meta})


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were unread and are now read")


class MarkReadSerializer(serializers.Serializer):
    kind = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=Notification._meta.get_field("kind").max_length,
        help_text="Only the notifications of this kind (see `GET notifications/kinds/`); absent or empty: all",
    )


class NotificationKindSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField(help_text="The kind's name in the language asked for by Accept-Language")
    unread = serializers.IntegerField(help_text="How many notifications of this kind are unread")
    latest_at = serializers.DateTimeField(help_text="When the newest unread one was sent")


class BaseNotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", help_text="true: unread only"
    )
    kind = django_filters.CharFilter()

    class Meta:
        model = Notification
        fields = ["unread", "kind"]


@functools.cache
def _filterset_class():
    """The list's filters with the subject apps' filters."""
    declared = {}
    for contribution in _contributions:
        declared.update(contribution.filters())
    meta = type("Meta", (BaseNotificationFilter.Meta,), {"fields": ["unread", "kind", *declared]})
    return type("NotificationFilter", (BaseNotificationFilter,), {**declared, "Meta": meta})


# --- the viewset ------------------------------------------------------------------------------------------


class NotificationViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The caller's own notifications, newest first."""

    model = Notification
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_serializer_class(self):
        return _serializer_class()

    @property
    def filterset_class(self):
        return _filterset_class()

    def get_serializer(self, instance=None, *args, **kwargs):
        if instance is not None:
            describe_subjects(instance if kwargs.get("many") else [instance])
        return super().get_serializer(instance, *args, **kwargs)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return list(page) if page is not None else None

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark one notification read (reading it again changes nothing)."""
        notification = self.get_object()
        services.mark_read(request.user, [notification])
        return Response(self.get_serializer(self.get_queryset().get(pk=notification.pk)).data)

    @extend_schema(request=MarkReadSerializer, responses=MarkedSerializer)
    @action(detail=False, methods=["post"], url_path="read-all", filter_backends=[], pagination_class=None)
    def read_all(self, request):
        """Mark every unread notification of the caller read, or only those of `kind` (an unknown kind is a
        400)."""
        body = MarkReadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if kind := body.validated_data.get("kind", ""):
            marked = services.mark_kind_read(request.user, kind)
        else:
            marked = services.mark_all_read(request.user)
        return Response(MarkedSerializer({"marked": marked}).data)

    @extend_schema(responses=NotificationKindSerializer(many=True))
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def kinds(self, request):
        """The caller's unread notifications counted per kind, the kind with the newest first (only kinds with
        unread ones): what the notifications page groups. One GROUP BY, whatever the number of rows."""
        return Response(NotificationKindSerializer(selectors.unread_by_kind(request.user), many=True).data)


routes = [("notifications", NotificationViewSet, "notification")]
