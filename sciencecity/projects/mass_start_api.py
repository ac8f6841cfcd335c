"""Mass starts (集中开工) through the API: the events with their totals (every signed-in caller), an event's
projects as the caller's project scope allows, its breakdown by investment type, project type and district;
project specialists and administrators record an event, correct it, add projects (by id or project code, each
with its investment in the event) and take one out. Every write goes through `services.mass_starts`."""

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from sciencecity.api.filters import MAX_ID, YearFilter
from sciencecity.api.idempotency import idempotent
from sciencecity.api.pagination import CursorPage
from sciencecity.api.views import ScopedViewSet

from . import mass_start_selectors as selectors
from .models import MassStart, MassStartProject, Project
from .regions import district_name, region_of
from .services import mass_starts


class MassStartSerializer(serializers.ModelSerializer):
    has_photo = serializers.SerializerMethodField()

    class Meta:
        model = MassStart
        fields = [
            "id",
            "name",
            "held_on",
            "place",
            "organizer",
            "description",
            "project_count",
            "total_investment",
            "has_photo",
            "created_at",
        ]
        read_only_fields = ["project_count", "total_investment", "created_at"]

    def get_has_photo(self, event) -> bool:
        return bool(event.photo)


class EntryInputSerializer(serializers.Serializer):
    project = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="The project's id"
    )
    code = serializers.RegexField(
        r"^\d{4}-\d{6}-\d{2}-\d{2}-\d{6}$", required=False, help_text="Or its unified project code"
    )
    investment = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="Its investment in the event (万元); default: the project's total investment",
    )

    def validate(self, data):
        if "project" not in data and "code" not in data:
            raise serializers.ValidationError(_("请给出项目 id 或项目代码。"))
        return data


class NewMassStartSerializer(MassStartSerializer):
    photo = serializers.ImageField(required=False, write_only=True)
    projects = EntryInputSerializer(many=True, required=False, default=list, write_only=True)

    class Meta(MassStartSerializer.Meta):
        fields = [*MassStartSerializer.Meta.fields, "photo", "projects"]


class MassStartUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    held_on = serializers.DateField(required=False)
    place = serializers.CharField(max_length=200, required=False)
    organizer = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    photo = serializers.ImageField(required=False)


class AddProjectsSerializer(serializers.Serializer):
    projects = EntryInputSerializer(many=True, allow_empty=False, max_length=mass_starts.MAX_PROJECTS)


class RemoveProjectSerializer(serializers.Serializer):
    project = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class EntrySerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="project.code", read_only=True)
    name = serializers.CharField(source="project.name", read_only=True)
    enterprise = serializers.IntegerField(source="project.enterprise_id", read_only=True)
    enterprise_name = serializers.CharField(source="project.enterprise.name", read_only=True)
    investment_type = serializers.CharField(source="project.investment_type", read_only=True)
    district = serializers.SerializerMethodField()

    class Meta:
        model = MassStartProject
        fields = [
            "id",
            "project",
            "code",
            "name",
            "enterprise",
            "enterprise_name",
            "investment_type",
            "district",
            "investment",
            "started_here",
            "added_at",
        ]

    def get_district(self, entry) -> str:
        return district_name(region_of(entry.project.code))


class ShareSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField(help_text="In the request's language")
    projects = serializers.IntegerField()
    investment = serializers.DecimalField(max_digits=16, decimal_places=2)


class BreakdownSerializer(serializers.Serializer):
    investment_type = ShareSerializer(many=True)
    project_type = ShareSerializer(many=True)
    district = ShareSerializer(many=True)


class MassStartFilter(filters.FilterSet):
    year = YearFilter(field_name="held_on", lookup_expr="year", help_text="Held in this year")
    since = filters.DateFilter(field_name="held_on", lookup_expr="gte")
    until = filters.DateFilter(field_name="held_on", lookup_expr="lte")

    class Meta:
        model = MassStart
        fields = []


def _entries(user, rows) -> list:
    """The input rows as `services.mass_starts.Entry`, each project found in the caller's scope (an unknown
    one is the row's error, not a 404 of the event)."""
    visible = Project.objects.for_user(user)
    ids = [row["project"] for row in rows if "project" in row]
    codes = [row["code"] for row in rows if "project" not in row]
    by_id = {p.pk: p for p in visible.filter(pk__in=ids)}
    by_code = {p.code: p for p in visible.filter(code__in=codes)}
    entries, errors = [], []
    for index, row in enumerate(rows):
        project = by_id.get(row["project"]) if "project" in row else by_code.get(row["code"])
        if project is None:
            errors.append(_("第 %(n)s 项:项目不存在,或您无权访问。") % {"n": index + 1})
            continue
        entries.append(mass_starts.Entry(project, row.get("investment")))
    if errors:
        raise serializers.ValidationError({"projects": errors})
    return entries


class MassStartViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Mass starts, newest first."""

    model = MassStart
    serializer_class = MassStartSerializer
    filterset_class = MassStartFilter
    ordering = ["-held_on", "-id"]
    ordering_fields = ["held_on", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request={"application/json": NewMassStartSerializer, "multipart/form-data": NewMassStartSerializer},
        responses={201: MassStartSerializer},
    )
    @idempotent
    def create(self, request):
        """Record a mass start that took place, optionally with its projects; their starts are dated by it."""
        data = NewMassStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        photo = fields.pop("photo", None)
        rows = fields.pop("projects", [])
        mass_starts.require_recorder(request.user)  # before looking projects up: a 403, not a list of 400s
        entries = _entries(request.user, rows) if rows else []
        event = mass_starts.record_mass_start(request.user, photo=photo, projects=entries, **fields)
        return Response(MassStartSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MassStartUpdateSerializer, responses=MassStartSerializer)
    def partial_update(self, request, pk=None):
        """Correct the event's details (its day only while it has no projects)."""
        event = self.get_object()
        data = MassStartUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        photo = fields.pop("photo", None)
        event = mass_starts.update_mass_start(request.user, event, photo=photo, **fields)
        return Response(MassStartSerializer(event).data)

    @extend_schema(methods=["get"], responses=EntrySerializer(many=True))
    @extend_schema(
        methods=["post"], request=AddProjectsSerializer, responses={201: EntrySerializer(many=True)}
    )
    @action(detail=True, methods=["get", "post"])
    def projects(self, request, pk=None):
        """GET: the event's projects the caller may see, in the order they were added. POST: add projects
        (nothing is added when one is refused; every refusal is listed)."""
        event = self.get_object()
        if request.method == "GET":
            paginator = CursorPage()
            paginator.ordering = ("id",)
            page = paginator.paginate_queryset(selectors.entries_of(request.user, event), request, view=None)
            return paginator.get_paginated_response(EntrySerializer(page, many=True).data)
        mass_starts.require_recorder(request.user)
        data = AddProjectsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        added = mass_starts.add_projects(
            request.user, event, _entries(request.user, data.validated_data["projects"])
        )
        rows = selectors.entries_of(request.user, event).filter(pk__in=[entry.pk for entry in added])
        return Response(EntrySerializer(rows, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RemoveProjectSerializer, responses=MassStartSerializer)
    @action(detail=True, methods=["post"], url_path="projects/remove")
    def remove(self, request, pk=None):
        """Take a project out of the event; its start stays as dated."""
        event = self.get_object()
        data = RemoveProjectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = mass_starts.remove_project(request.user, event, data.validated_data["project"])
        return Response(MassStartSerializer(event).data)

    @extend_schema(responses=BreakdownSerializer)
    @action(detail=True, methods=["get"])
    def breakdown(self, request, pk=None):
        """The event's projects and investment by investment type, project type and district."""
        shares = selectors.breakdown(self.get_object())
        data = {key: [vars(share) for share in rows] for key, rows in shares.items()}
        return Response(BreakdownSerializer(data).data)


routes = [("mass-starts", MassStartViewSet, "mass-start")]
