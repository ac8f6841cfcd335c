"""The interaction register through the API: the records a user reads (a supervisor's search by `q`,
`flagged`, `response`, `since`, `until`), recording one (officials), the enterprise's confirmation or dispute,
supervisors' findings, and the positive and negative lists."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from sciencecity.api.idempotency import idempotent
from sciencecity.api.views import ScopedViewSet
from sciencecity.enterprises.models import Enterprise

from . import services
from .models import Finding, Interaction, ListItem


class InteractionItemSerializer(serializers.ModelSerializer):
    text = serializers.CharField(source="display_text", read_only=True)

    class Meta:
        model = ListItem
        fields = ["code", "kind", "text", "order", "is_active"]


class InteractionFindingSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.display_name", read_only=True)

    class Meta:
        model = Finding
        fields = ["id", "kind", "text", "author", "written_at"]


class InteractionSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    official_name = serializers.CharField(source="official.display_name", read_only=True)
    items = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    flagged = serializers.BooleanField(read_only=True)
    findings = InteractionFindingSerializer(many=True, read_only=True)

    class Meta:
        model = Interaction
        fields = [
            "id",
            "number",
            "enterprise",
            "enterprise_name",
            "official",
            "official_name",
            "department",
            "kind",
            "occurred_on",
            "place",
            "purpose",
            "items",
            "officials_present",
            "enterprise_attendees",
            "outcome",
            "recorded_at",
            "due_on",
            "late",
            "forbidden",
            "flagged",
            "response",
            "response_note",
            "responded_at",
            "findings",
            "service_event",
        ]
        read_only_fields = fields


class InteractionInputSerializer(serializers.Serializer):
    enterprise = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    kind = serializers.ChoiceField(choices=Interaction.Kind.choices)
    occurred_on = serializers.DateField()
    place = serializers.CharField(max_length=200)
    purpose = serializers.CharField(max_length=2000)
    items = serializers.ListField(
        child=serializers.SlugField(max_length=40), min_length=1, max_length=20, help_text="List item codes"
    )
    officials_present = serializers.CharField(max_length=500)
    enterprise_attendees = serializers.CharField(max_length=500, required=False, allow_blank=True)
    outcome = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class InteractionResponseSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class InteractionFindingInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Finding.Kind.choices)
    text = serializers.CharField(max_length=4000)


class InteractionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Number, enterprise, purpose, officials or place")
    flagged = django_filters.BooleanFilter(method="only_flagged", label="Late or touching the negative list")
    response = django_filters.ChoiceFilter(choices=Interaction.Response.choices)
    since = django_filters.DateFilter(field_name="occurred_on", lookup_expr="gte")
    until = django_filters.DateFilter(field_name="occurred_on", lookup_expr="lte")

    class Meta:
        model = Interaction
        fields = ["q", "flagged", "response", "since", "until", "enterprise", "department"]

    def search(self, queryset, name, value):
        return services.search(queryset, q=value.replace("\x00", ""))

    def only_flagged(self, queryset, name, value):
        return queryset.filter(Q(late=True) | Q(forbidden=True)) if value else queryset


class InteractionViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Interaction records the caller reads, newest interaction first."""

    model = Interaction
    serializer_class = InteractionSerializer
    filterset_class = InteractionFilter
    ordering = ["-occurred_on", "-id"]
    ordering_fields = ["occurred_on", "id"]

    def scope(self, queryset):
        return queryset.select_related("enterprise", "official").prefetch_related("items", "findings__author")

    def _answer(self, interaction, code=status.HTTP_200_OK):
        return Response(InteractionSerializer(self.get_queryset().get(pk=interaction.pk)).data, status=code)

    @extend_schema(request=InteractionInputSerializer, responses={201: InteractionSerializer})
    @idempotent
    def create(self, request):
        payload = InteractionInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        given = dict(payload.validated_data)
        enterprise = Enterprise.objects.filter(pk=given.pop("enterprise")).first()
        if enterprise is None:
            raise ValidationError({"enterprise": [_("没有这家企业。")]})
        interaction = services.record_interaction(request.user, enterprise=enterprise, **given)
        return self._answer(interaction, status.HTTP_201_CREATED)

    @extend_schema(request=InteractionResponseSerializer, responses=InteractionSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """The enterprise visited confirms the record."""
        return self._respond(request, "confirm")

    @extend_schema(request=InteractionResponseSerializer, responses=InteractionSerializer)
    @action(detail=True, methods=["post"])
    def dispute(self, request, pk=None):
        """The enterprise visited disputes the record, saying (`note`) what happened."""
        return self._respond(request, "dispute")

    def _respond(self, request, action_name):
        payload = InteractionResponseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        interaction = self.get_object()
        return self._answer(
            services.respond(request.user, interaction, action_name, payload.validated_data.get("note", ""))
        )

    @extend_schema(request=InteractionFindingInputSerializer, responses={201: InteractionSerializer})
    @action(detail=True, methods=["post"])
    def findings(self, request, pk=None):
        """A supervisor's finding on the record."""
        payload = InteractionFindingInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        interaction = self.get_object()
        services.add_finding(request.user, interaction, **payload.validated_data)
        return self._answer(interaction, status.HTTP_201_CREATED)


class InteractionItemViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    """The positive and negative lists (active items first), for everyone signed in."""

    serializer_class = InteractionItemSerializer
    queryset = ListItem.objects.all()
    ordering = ["kind", "order", "code"]
    pagination_class = None
    filter_backends = []


routes = [
    ("interactions", InteractionViewSet, "interaction"),
    ("interaction-items", InteractionItemViewSet, "interaction-item"),
]
