"""Service events through the API: the events a caller reads (filters `q`, `kind`, `status`, `department`,
`since`, `until`, `when`, `enterprise`), recording one, its participants, the demands raised there (a POST opens
the closed-loop problem), its outcome, its cancellation and its entries in the interaction register."""

import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from sciencecity.accounts.models import Department
from sciencecity.api.filters import MAX_ID, IdFilter
from sciencecity.api.idempotency import idempotent
from sciencecity.api.views import ScopedViewSet
from sciencecity.enterprises.models import Enterprise
from sciencecity.problems.models import ProblemCategory
from sciencecity.workdays import clock

from ..api import InteractionSerializer
from ..models import EventDemand, EventParticipant, Interaction, ServiceEvent
from . import selectors, services


class EventParticipantSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.SerializerMethodField()
    user_name = serializers.SerializerMethodField()

    class Meta:
        model = EventParticipant
        fields = [
            "id",
            "role",
            "enterprise",
            "enterprise_name",
            "representatives",
            "name",
            "institution",
            "title",
            "user",
            "user_name",
            "added_at",
        ]
        read_only_fields = fields

    def get_enterprise_name(self, row) -> str:
        return row.enterprise.name if row.enterprise_id else ""

    def get_user_name(self, row) -> str:
        return str(row.user) if row.user_id else ""


class DemandFiguresSerializer(serializers.Serializer):
    raised = serializers.IntegerField()
    closed = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    ended_otherwise = serializers.IntegerField(help_text="Merged into another problem or dismissed")
    closed_rate = serializers.FloatField(allow_null=True, help_text="Closed ÷ raised, in per cent")


class ServiceEventSerializer(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.display_name", read_only=True)
    agreements = serializers.ListField(
        child=serializers.CharField(), source="agreement_lines", read_only=True, help_text="One per line"
    )
    participants = EventParticipantSerializer(many=True, read_only=True)
    demands = serializers.SerializerMethodField(
        help_text="The demands the caller reads, by their problems' states"
    )

    class Meta:
        model = ServiceEvent
        fields = [
            "id",
            "number",
            "kind",
            "title",
            "starts_at",
            "ends_at",
            "place",
            "department",
            "department_name",
            "description",
            "status",
            "created_by",
            "created_at",
            "participants",
            "demands",
            "summary",
            "agreements",
            "outcome_recorded_at",
            "cancel_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(DemandFiguresSerializer)
    def get_demands(self, event) -> dict:
        figures = self.context.get("figures") or {}
        found = figures.get(event.pk) or selectors.DemandFigures()
        return DemandFiguresSerializer(found.as_dict()).data


class ServiceEventInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ServiceEvent.Kind.choices)
    title = serializers.CharField(max_length=120)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    place = serializers.CharField(max_length=200)
    department = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="The organising department; the caller's by default",
    )
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class ParticipantInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=EventParticipant.Role.choices)
    enterprise = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="role enterprise"
    )
    representatives = serializers.CharField(max_length=300, required=False, allow_blank=True)
    name = serializers.CharField(max_length=60, required=False, allow_blank=True, help_text="role expert")
    institution = serializers.CharField(max_length=120, required=False, allow_blank=True)
    title = serializers.CharField(max_length=60, required=False, allow_blank=True)
    user = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="role escort: a staff user"
    )


class EventDemandSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    problem_number = serializers.CharField(source="problem.number", read_only=True)
    title = serializers.CharField(source="problem.title", read_only=True)
    category = serializers.CharField(source="problem.category.code", read_only=True)
    department = serializers.SerializerMethodField()
    status = serializers.CharField(source="problem.status", read_only=True)
    due_date = serializers.DateField(source="problem.due_date", read_only=True)
    closed_at = serializers.DateTimeField(source="problem.closed_at", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = EventDemand
        fields = [
            "id",
            "event",
            "enterprise",
            "enterprise_name",
            "problem",
            "problem_number",
            "title",
            "category",
            "department",
            "status",
            "due_date",
            "overdue",
            "closed_at",
            "raised_by",
            "raised_at",
        ]
        read_only_fields = fields

    def get_department(self, demand) -> str:
        department = demand.problem.department
        return department.code if department is not None else ""

    def get_overdue(self, demand) -> bool:
        return demand.problem.light(self.context.setdefault("today", clock.today())) == "red"


class DemandInputSerializer(serializers.Serializer):
    enterprise = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    category = serializers.SlugField(max_length=40, help_text="A problem category's code")
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=4000)


class OutcomeInputSerializer(serializers.Serializer):
    summary = serializers.CharField(max_length=4000)
    agreements = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, help_text="One per line"
    )


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class RegisterInputSerializer(serializers.Serializer):
    items = serializers.ListField(
        child=serializers.SlugField(max_length=40), min_length=1, max_length=20, help_text="List item codes"
    )
    officials_present = serializers.CharField(max_length=500)
    enterprises = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=services.MAX_AT_ONCE,
        help_text="Participating enterprises to enter (default: every one not entered yet)",
    )


class ServiceEventFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Number, title or place")
    when = django_filters.ChoiceFilter(
        method="by_when", choices=[(value, value) for value in selectors.WHEN], label="upcoming or past"
    )
    since = django_filters.DateFilter(method="from_day", label="Starting on or after")
    until = django_filters.DateFilter(method="to_day", label="Starting on or before")
    enterprise = IdFilter(method="with_enterprise", label="An enterprise taking part")

    class Meta:
        model = ServiceEvent
        fields = ["q", "kind", "status", "department", "since", "until", "when", "enterprise"]

    def search(self, queryset, name, value):
        return selectors.search(queryset, q=value)

    def by_when(self, queryset, name, value):
        return selectors.search(queryset, when=value)

    def from_day(self, queryset, name, value):
        return selectors.search(queryset, since=value)

    def to_day(self, queryset, name, value):
        return selectors.search(queryset, until=value)

    def with_enterprise(self, queryset, name, value):
        return selectors.search(queryset, enterprise=int(value))


class ServiceEventViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Service events the caller reads (staff: all; an enterprise: those it takes part in), the newest first."""

    model = ServiceEvent
    serializer_class = ServiceEventSerializer
    filterset_class = ServiceEventFilter
    ordering = ["-starts_at", "-id"]
    ordering_fields = ["starts_at", "id"]

    def scope(self, queryset):
        return queryset.select_related("department").prefetch_related(
            "participants__enterprise", "participants__user"
        )

    def _figures(self, events) -> dict:
        demands = EventDemand.objects.for_user(self.request.user)
        return selectors.demand_figures(demands, [event.pk for event in events])

    def _data(self, events, many: bool):
        rows = list(events) if many else [events]
        context = {**self.get_serializer_context(), "figures": self._figures(rows)}
        return ServiceEventSerializer(rows if many else events, many=many, context=context).data

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._data(page, many=True))

    def retrieve(self, request, pk=None):
        return Response(self._data(self.get_object(), many=False))

    def _answer(self, event, code=status.HTTP_200_OK):
        return Response(self._data(self.get_queryset().get(pk=event.pk), many=False), status=code)

    @extend_schema(request=ServiceEventInputSerializer, responses={201: ServiceEventSerializer})
    @idempotent
    def create(self, request):
        payload = ServiceEventInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        given = dict(payload.validated_data)
        if "department" in given:
            department = Department.objects.filter(pk=given["department"]).first()
            if department is None:
                raise ValidationError({"department": [_("没有这个部门。")]})
            given["department"] = department
        event = services.record_event(request.user, **given)
        return self._answer(event, status.HTTP_201_CREATED)

    @extend_schema(methods=["get"], responses=EventParticipantSerializer(many=True))
    @extend_schema(
        methods=["post"], request=ParticipantInputSerializer, responses={201: EventParticipantSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def participants(self, request, pk=None):
        """Who takes part; POST adds an enterprise (with `representatives`), an expert (`name`, `institution`) or
        an escort (`user`, a staff member)."""
        event = self.get_object()
        if request.method == "GET":
            rows = selectors.participants_of(event)
            return Response(EventParticipantSerializer(rows, many=True).data)
        payload = ParticipantInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        given = dict(payload.validated_data)
        if "enterprise" in given:
            enterprise = Enterprise.objects.filter(pk=given["enterprise"]).first()
            if enterprise is None:
                raise ValidationError({"enterprise": [_("没有这家企业。")]})
            given["enterprise"] = enterprise
        if "user" in given:
            person = get_user_model().objects.filter(pk=given.pop("user")).first()
            if person is None:
                raise ValidationError({"user": [_("没有这位工作人员。")]})
            given["person"] = person
        row = services.add_participant(request.user, event, **given)
        return Response(EventParticipantSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["get"], responses=EventDemandSerializer(many=True))
    @extend_schema(methods=["post"], request=DemandInputSerializer, responses={201: EventDemandSerializer})
    @action(detail=True, methods=["get", "post"])
    def demands(self, request, pk=None):
        """The demands raised at the event that the caller reads (an enterprise: its own), with their problems'
        states; POST raises one for a participating enterprise, opening its closed-loop problem."""
        event = self.get_object()
        if request.method == "GET":
            rows = selectors.demands_of(request.user, event)
            return Response(EventDemandSerializer(rows, many=True, context={}).data)
        payload = DemandInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        given = dict(payload.validated_data)
        enterprise = Enterprise.objects.filter(pk=given.pop("enterprise")).first()
        if enterprise is None:
            raise ValidationError({"enterprise": [_("没有这家企业。")]})
        category = ProblemCategory.objects.reportable().filter(code=given.pop("category")).first()
        if category is None:
            raise ValidationError({"category": [_("没有这个诉求类别,或该类别不可选。")]})
        demand = services.raise_demand(request.user, event, enterprise=enterprise, category=category, **given)
        demand = selectors.demands_of(request.user, event).get(pk=demand.pk)
        return Response(EventDemandSerializer(demand, context={}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OutcomeInputSerializer, responses=ServiceEventSerializer)
    @action(detail=True, methods=["post"])
    def outcome(self, request, pk=None):
        """Record (or amend) the outcome: the summary and the agreements and follow-ups, one per line."""
        payload = OutcomeInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        event = services.record_outcome(request.user, self.get_object(), **payload.validated_data)
        return self._answer(event)

    @extend_schema(request=CancelInputSerializer, responses=ServiceEventSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Call off a scheduled event, with the reason."""
        payload = CancelInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        event = services.cancel_event(request.user, self.get_object(), payload.validated_data["reason"])
        return self._answer(event)

    @extend_schema(request=RegisterInputSerializer, responses={201: InteractionSerializer(many=True)})
    @action(detail=True, methods=["post"])
    def interactions(self, request, pk=None):
        """Enter the event's meetings with its enterprises into the interaction register (one record each)."""
        payload = RegisterInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        records = services.register_interactions(request.user, self.get_object(), **payload.validated_data)
        rows = (
            Interaction.objects.filter(pk__in=[record.pk for record in records])
            .select_related("enterprise", "official")
            .prefetch_related("items", "findings__author")
            .order_by("id")
        )
        return Response(InteractionSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)


routes = [("service-events", ServiceEventViewSet, "service-event")]
