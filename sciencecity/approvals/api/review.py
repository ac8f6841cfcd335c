"""Review tasks (后台分类审批) in the API: the department's worklist and task file, the reviewer's claim,
opinions, site inspections, decisions and supplement requests, and the head's reassignment and extension.

Rows come through `ReviewTask.objects.for_user(user)`, as on the department pages: a reviewer or head sees
the tasks of their department (another department's task is a 404), an applicant the tasks of their
enterprise's applications, the window and leaders all. Every write calls the function of
`services.review` that the department pages call; it re-locks the application and the task, checks the
transition (409), the role (403) and the department and assignee, audits and notifies. An applicant reads
of a task's history only what the portal shows them: the supplement requests and their answers.
"""

import datetime

from django.db.models import DateField, F, Prefetch, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from sciencecity.accounts.scoping import is_civil_servant
from sciencecity.api.filters import IdFilter
from sciencecity.api.idempotency import idempotent
from sciencecity.api.views import ScopedViewSet
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import UnknownCalendarYear

from .. import transitions
from ..models import ReviewTask, TaskEvent, TaskPause
from ..services import review
from ..services.deadlines import (
    GREEN,
    RED,
    TASK_STATES,
    YELLOW,
    annotate_traffic_light,
    open_tasks,
    task_state_filter,
)
from .application_serializers import ApplicationEnterpriseSerializer, ApplicationProjectSerializer

T = ReviewTask.Status
# Tasks without a deadline yet (waiting for their prerequisites) sort after every dated one.
NO_DEADLINE = datetime.date.max
# What an applicant reads of a task's history (the portal shows the supplement requests they answer).
APPLICANT_EVENT_KINDS = (TaskEvent.Kind.SUPPLEMENT_REQUEST, TaskEvent.Kind.SUPPLEMENT_ANSWER)
LIGHT_CHOICES = [(GREEN, GREEN), (YELLOW, YELLOW), (RED, RED)]


# --- output ----------------------------------------------------------------------------------------------


class TaskApplicationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()
    project = ApplicationProjectSerializer()
    enterprise = ApplicationEnterpriseSerializer()
    bundle = serializers.CharField(source="bundle.code")
    target_date = serializers.DateField(
        allow_null=True,
        help_text="The day the application's results are delivered on, if its bundle sets one",
    )


class TaskItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    pledge_allowed = serializers.BooleanField()


class TaskDepartmentSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()


class TaskSerializer(serializers.ModelSerializer):
    """A task as the worklist shows it: application, item, department, state, assignee, stored deadlines."""

    application = TaskApplicationSerializer(read_only=True)
    item = TaskItemSerializer(read_only=True)
    department = TaskDepartmentSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True, read_only=True)
    assignee_name = serializers.SerializerMethodField()
    warning_level_display = serializers.CharField(source="get_warning_level_display", read_only=True)
    light = serializers.SerializerMethodField(
        help_text="green, yellow or red while the task's clock runs (pending or in review); null otherwise"
    )

    class Meta:
        model = ReviewTask
        fields = [
            "id",
            "application",
            "item",
            "department",
            "status",
            "status_display",
            "assignee",
            "assignee_name",
            "started_on",
            "promised_deadline",
            "promised_deadline_provisional",
            "legal_deadline",
            "legal_deadline_provisional",
            "extension_days",
            "warning_level",
            "warning_level_display",
            "light",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_assignee_name(self, task) -> str | None:
        return str(task.assignee) if task.assignee_id else None

    @extend_schema_field(serializers.ChoiceField(choices=LIGHT_CHOICES, allow_null=True))
    def get_light(self, task):
        return task.traffic_light


class TaskPauseSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaskPause
        fields = ["id", "reason", "started_on", "ended_on"]
        read_only_fields = fields


class TaskEventSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    actor = serializers.SerializerMethodField(help_text="Who recorded it (display name)")
    at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = TaskEvent
        fields = ["id", "kind", "kind_display", "text", "data", "actor", "at"]
        read_only_fields = fields

    def get_actor(self, event) -> str:
        return str(event.author)


class TaskDetailSerializer(TaskSerializer):
    """One task with its decision, pauses (the clock stood still), history and the actions open to the
    caller by the transitions table (the services check department and assignee as well)."""

    decided_by = serializers.SerializerMethodField()
    pauses = TaskPauseSerializer(many=True, read_only=True)
    events = TaskEventSerializer(many=True, read_only=True)
    actions = serializers.SerializerMethodField()

    class Meta(TaskSerializer.Meta):
        fields = [
            *TaskSerializer.Meta.fields,
            "decided_by",
            "decision_reason",
            "pauses",
            "events",
            "actions",
        ]
        read_only_fields = fields

    def get_decided_by(self, task) -> str | None:
        return str(task.decided_by) if task.decided_by_id else None

    def get_actions(self, task) -> list[str]:
        request = self.context.get("request")
        return transitions.allowed_actions(task, request.user) if request is not None else []


# --- input -------------------------------------------------------------------------------------------------


class OpinionSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000, help_text="The review opinion (审查意见)")


class InspectionSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="The day of the site inspection, not in the future")
    findings = serializers.CharField(max_length=5000)
    passed = serializers.BooleanField(help_text="Whether the site meets the requirements")


class ApproveSerializer(serializers.Serializer):
    opinion = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "maxLength": 5000},
            {"type": "array", "items": {"type": "string", "maxLength": 5000}},
        ]
    }
)
class ReasonsField(serializers.Field):
    """One reason as a text, or several as a list of texts."""

    default_error_messages = {"invalid": _("请填写文字或文字列表。")}

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [data]
        if not isinstance(data, list) or not all(isinstance(reason, str) for reason in data):
            self.fail("invalid")
        if any(len(reason) > 5000 for reason in data):
            raise serializers.ValidationError(
                serializers.CharField.default_error_messages["max_length"].format(max_length=5000)
            )
        return data

    def to_representation(self, value):
        return value


class RejectSerializer(serializers.Serializer):
    reasons = ReasonsField(help_text="Why the item is not approved: a text or a list of texts")


class SupplementSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000, help_text="What the applicant must supply")


class ReassignSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(
        min_value=1, help_text="User id of a reviewer of the task's department"
    )


class ExtendSerializer(serializers.Serializer):
    days = serializers.IntegerField(
        min_value=1, max_value=review.MAX_EXTENSION_DAYS, help_text="Working days"
    )
    reason = serializers.CharField(max_length=2000)


# --- the viewset -------------------------------------------------------------------------------------------


class TaskFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=T.choices)
    department = filters.CharFilter(field_name="department__code", help_text="The department's code")
    application = IdFilter(field_name="application_id", help_text="Application id")
    assignee = IdFilter(field_name="assignee_id", help_text="User id of the assignee")
    light = filters.ChoiceFilter(
        choices=LIGHT_CHOICES, field_name="traffic_light", help_text="green, yellow or red"
    )
    bundle = filters.CharFilter(field_name="application__bundle__code", help_text="The bundle's code")
    state = filters.ChoiceFilter(
        choices=[(state, state) for state in TASK_STATES],
        method="filter_state",
        help_text="open, overdue or escalated: the open tasks that the leaders' overview counts in that column "
        "of its departments' table (with `department`, one figure of it)",
    )

    class Meta:
        model = ReviewTask
        fields = ["status", "department", "application", "assignee", "light", "bundle", "state"]

    def filter_state(self, queryset, _name, value):
        return open_tasks(queryset).filter(task_state_filter(value, clock.today()))


class TaskOrdering(OrderingFilter):
    """`promised_deadline` sorts tasks without a deadline (waiting ones) last, on every database; every
    order ends with the id, so a cursor page never skips or repeats a row."""

    ALIASES = {"promised_deadline": "deadline_order"}

    def get_ordering(self, request, queryset, view):
        ordering = []
        for term in super().get_ordering(request, queryset, view) or []:
            descending, name = term.startswith("-"), term.lstrip("-")
            ordering.append(("-" if descending else "") + self.ALIASES.get(name, name))
        if not any(term.lstrip("-") in ("id", "pk") for term in ordering):
            ordering.append("id")
        return ordering


class TaskViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Review tasks in the caller's scope, by promised deadline; and the actions on one."""

    model = ReviewTask
    filterset_class = TaskFilter
    filter_backends = [filters.DjangoFilterBackend, TaskOrdering]
    ordering_fields = ["promised_deadline", "created_at", "id"]
    ordering = ["promised_deadline", "id"]

    def scope(self, queryset):
        queryset = (
            annotate_traffic_light(queryset)
            .annotate(
                deadline_order=Coalesce(F("promised_deadline"), Value(NO_DEADLINE), output_field=DateField())
            )
            .select_related(
                "item",
                "department",
                "assignee",
                "application__project",
                "application__enterprise",
                "application__bundle",
            )
        )
        if self.action != "list":
            events = TaskEvent.objects.select_related("author").order_by("created_at", "id")
            if not is_civil_servant(self.request.user):
                events = events.filter(kind__in=APPLICANT_EVENT_KINDS)
            queryset = queryset.select_related("decided_by").prefetch_related(
                Prefetch("pauses", queryset=TaskPause.objects.order_by("started_on", "id")),
                Prefetch("events", queryset=events),
            )
        return queryset

    def get_serializer_class(self):
        return TaskSerializer if self.action == "list" else TaskDetailSerializer

    def handle_exception(self, exc):
        """A deadline that would fall in a year whose official working-day schedule nobody has entered
        yet (an extension far ahead, a task released in late December) cannot be computed: a 400 that says
        so (on `days` for an extension), not a server error. Nothing was changed: the service rolled back."""
        if isinstance(exc, UnknownCalendarYear):
            field = "days" if self.action == "extend" else "non_field_errors"
            exc = serializers.ValidationError({field: [ErrorDetail(str(exc), code="unknown_calendar_year")]})
        return super().handle_exception(exc)

    def _input(self, serializer_class):
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data

    def _task(self, task, status_code=status.HTTP_200_OK):
        """The task as it now stands, re-read through the scope, in the detail shape."""
        fresh = self.get_queryset().get(pk=task.pk)
        return Response(
            TaskDetailSerializer(fresh, context=self.get_serializer_context()).data, status=status_code
        )

    @extend_schema(request=None, responses=TaskDetailSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        """A reviewer of the task's department takes a pending task (认领); of two at once, one wins."""
        return self._task(review.claim_task(request.user, self.get_object()))

    @extend_schema(request=OpinionSerializer, responses={201: TaskEventSerializer})
    @idempotent
    @action(detail=True, methods=["post"])
    def opinion(self, request, pk=None):
        """The assignee records a review opinion (审查意见) while the task is in review."""
        task = self.get_object()
        data = self._input(OpinionSerializer)
        event = review.add_opinion(request.user, task, data["text"])
        return Response(TaskEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=InspectionSerializer, responses={201: TaskEventSerializer})
    @idempotent
    @action(detail=True, methods=["post"])
    def inspection(self, request, pk=None):
        """The assignee records a site inspection (现场勘查): date, findings and whether it passed."""
        task = self.get_object()
        data = self._input(InspectionSerializer)
        event = review.record_site_inspection(
            request.user, task, data["date"], data["findings"], data["passed"]
        )
        return Response(TaskEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ApproveSerializer, responses=TaskDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """The assignee approves (准予许可); the item's certificate is issued."""
        task = self.get_object()
        data = self._input(ApproveSerializer)
        return self._task(review.approve_task(request.user, task, data["opinion"]))

    @extend_schema(request=ApproveSerializer, responses=TaskDetailSerializer)
    @action(detail=True, methods=["post"], url_path="approve-on-pledge")
    def approve_on_pledge(self, request, pk=None):
        """The assignee approves on the applicant's pledge (告知承诺), where the item allows it."""
        task = self.get_object()
        data = self._input(ApproveSerializer)
        return self._task(review.approve_task_on_pledge(request.user, task, data["opinion"]))

    @extend_schema(request=RejectSerializer, responses=TaskDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """The assignee rejects (不予许可) with reasons; the items that depend on this one are not started."""
        task = self.get_object()
        data = self._input(RejectSerializer)
        return self._task(review.reject_task(request.user, task, data["reasons"]))

    @extend_schema(request=SupplementSerializer, responses={201: TaskPauseSerializer})
    @idempotent
    @action(detail=True, methods=["post"])
    def supplement(self, request, pk=None):
        """The assignee asks the applicant for more (补充材料); the task's clock pauses from today."""
        task = self.get_object()
        data = self._input(SupplementSerializer)
        pause = review.request_supplement(request.user, task, data["text"])
        return Response(TaskPauseSerializer(pause).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReassignSerializer, responses=TaskDetailSerializer)
    @idempotent
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        """The head of the task's department gives it to another of its reviewers (改派)."""
        task = self.get_object()
        data = self._input(ReassignSerializer)
        return self._task(review.reassign_task(request.user, task, data["assignee"]))

    @extend_schema(request=ExtendSerializer, responses=TaskDetailSerializer)
    @idempotent
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        """The head extends a running task's deadlines by working days, with a reason (延长期限)."""
        task = self.get_object()
        data = self._input(ExtendSerializer)
        return self._task(review.extend_deadline(request.user, task, data["days"], data["reason"]))


routes = [("tasks", TaskViewSet, "task")]
