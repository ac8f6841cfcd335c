"""Problems in the API (/api/v1/problems/, /api/v1/problem-categories/): everything the pages do.

Rows come through `Problem.objects.for_user(user)` as on the pages (another department's problem is a 404).
Every write calls the function of `services.lifecycle` that the pages call, which locks, checks the transition
(409), the role and the department (403), audits and notifies. Photos are sent as multipart form data
(`photos`, repeated); a report without photos may be JSON.
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from sciencecity.accounts.models import Department
from sciencecity.api.filters import MAX_ID, IdFilter
from sciencecity.api.idempotency import idempotent
from sciencecity.api.views import ScopedViewSet
from sciencecity.enterprises.models import Enterprise
from sciencecity.workdays import clock
from sciencecity.workflow.errors import fetch_in_scope

from . import selectors
from .models import OPEN_STATES, MonitoringSection, Problem, ProblemCategory, ProblemEvent, ProblemPhoto
from .services import lifecycle
from .services.deadlines import warn_until
from .transitions import PROBLEM_TRANSITIONS, step_name

# --- output ----------------------------------------------------------------------------------------------


def whole_number(**kwargs):
    """A read-only integer without the database's range: the schema must not differ between SQLite (64-bit
    integers) and PostgreSQL (32-bit), which a model integer field would carry into it."""
    return serializers.IntegerField(read_only=True, **kwargs)


class CategorySerializer(serializers.ModelSerializer):
    deadline_days = whole_number()
    reopen_days = whole_number()

    class Meta:
        model = ProblemCategory
        fields = [
            "id",
            "code",
            "name",
            "name_en",
            "description",
            "deadline_days",
            "verifier",
            "evidence_required",
            "reopen_days",
            "in_remediation_ledger",
            "is_active",
        ]


class DepartmentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()


class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    width = whole_number()
    height = whole_number()

    class Meta:
        model = ProblemPhoto
        fields = ["id", "kind", "width", "height", "uploaded_at", "url"]

    def get_url(self, photo) -> str:
        from django.urls import reverse

        return reverse("problems:photo", args=[photo.pk])


class EventSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta:
        model = ProblemEvent
        fields = [
            "id",
            "action",
            "name",
            "status_before",
            "status_after",
            "note",
            "actor",
            "created_at",
            "photos",
        ]

    def get_name(self, event) -> str:
        return step_name(event.action)

    def get_actor(self, event) -> str | None:
        return str(event.actor) if event.actor_id else None


# Named apart from `Problem`, the schema's component of the error responses (RFC 9457 problem details).
@extend_schema_serializer(component_name="ProblemSummary")
class ProblemSerializer(serializers.ModelSerializer):
    """A problem as the lists show it, with its light (red / yellow / green, "" when off the clock)."""

    category = serializers.CharField(source="category.code")
    department = DepartmentRefSerializer(allow_null=True)
    light = serializers.SerializerMethodField()
    rework_count = whole_number()
    reopen_count = whole_number()
    satisfaction = whole_number(allow_null=True)

    class Meta:
        model = Problem
        fields = [
            "id",
            "number",
            "title",
            "category",
            "source",
            "status",
            "department",
            "latitude",
            "longitude",
            "address",
            "area",
            "enterprise",
            "project",
            "reported_at",
            "dispatched_at",
            "closed_at",
            "due_date",
            "due_date_provisional",
            "light",
            "escalated_at",
            "long_term",
            "rework_count",
            "reopen_count",
            "satisfaction",
            "merged_into",
            "parent",
            "section",
        ]

    @extend_schema_field(
        {
            "type": "string",
            "enum": ["", "green", "yellow", "red"],  # the order of the tasks' lights: one enum in the schema
            "description": "red, yellow or green while the deadline runs; empty when off the clock",
        }
    )
    def get_light(self, problem) -> str:
        # Computed once per response: `setdefault(key, warn_until(...))` would compute its argument (a query
        # of the calendar's overrides) for every row before finding the key.
        if "warn_until" not in self.context:
            self.context["today"] = today = clock.today()
            self.context["warn_until"] = warn_until(today)
        return problem.light(self.context["today"], self.context["warn_until"])


@extend_schema_serializer(component_name="ProblemDetail")
class ProblemDetailSerializer(ProblemSerializer):
    """One problem with its description, resolution, plan, the reporter's photos, the timeline (each step with
    its own photos) and the caller's actions."""

    events = EventSerializer(many=True, read_only=True)
    photos = serializers.SerializerMethodField()
    working_days = whole_number(allow_null=True)
    actions = serializers.SerializerMethodField()
    children = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta(ProblemSerializer.Meta):
        fields = [
            *ProblemSerializer.Meta.fields,
            "description",
            "resolution",
            "long_term_plan",
            "rectified_at",
            "accepted_at",
            "closed_on_time",
            "working_days",
            "children",
            "photos",
            "events",
            "actions",
        ]

    @extend_schema_field(PhotoSerializer(many=True))
    def get_photos(self, problem):
        return PhotoSerializer(problem.photos.filter(kind=ProblemPhoto.Kind.REPORT), many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, problem) -> list[str]:
        user = self.context["request"].user
        actions = PROBLEM_TRANSITIONS.allowed_actions(problem, user)
        if problem.status == Problem.Status.RECTIFIED:
            actions = [a for a in actions if a not in ("pass", "fail")]
            if lifecycle.may_verify(user, problem):
                actions += ["pass", "fail"]
        if user.pk != problem.reporter_id:
            actions = [a for a in actions if a not in ("reopen", "rate")]
        return actions


# --- input -----------------------------------------------------------------------------------------------


class ReportSerializer(serializers.Serializer):
    category = serializers.SlugRelatedField(slug_field="code", queryset=ProblemCategory.objects.reportable())
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=4000)
    source = serializers.ChoiceField(choices=Problem.Source.choices, required=False)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    enterprise = serializers.IntegerField(required=False, allow_null=True)
    project = serializers.IntegerField(required=False, allow_null=True)
    section = serializers.SlugRelatedField(
        slug_field="code",
        queryset=MonitoringSection.objects.all(),
        required=False,
        allow_null=True,
        help_text="A river patrol's monitoring section, by its code (river-sections/nearest/ finds the nearest)",
    )
    photos = serializers.ListField(child=serializers.ImageField(), required=False, max_length=9)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    photos = serializers.ListField(child=serializers.FileField(), required=False, max_length=9)


class DepartmentCodeField(serializers.SlugRelatedField):
    """An active department by its code; a code with a NUL never reaches the database (PostgreSQL refuses it
    with an error, not an empty result)."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=Department.objects.filter(is_active=True), **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", "\\x00"))
        return super().to_internal_value(data)


class DispatchSerializer(serializers.Serializer):
    department = DepartmentCodeField()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class LongTermSerializer(serializers.Serializer):
    plan = serializers.CharField(max_length=2000)
    due_date = serializers.DateField()


class VerifySerializer(NoteSerializer):
    passed = serializers.BooleanField()


class RateSerializer(serializers.Serializer):
    satisfaction = serializers.IntegerField(min_value=1, max_value=5)


class MergeSerializer(serializers.Serializer):
    into = serializers.CharField(max_length=20, help_text="the surviving problem's number")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class PartSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    department = DepartmentCodeField()
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class SplitSerializer(serializers.Serializer):
    parts = PartSerializer(many=True)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


# --- filters ---------------------------------------------------------------------------------------------


class ProblemFilterSet(filters.FilterSet):
    id = IdFilter()
    status = filters.ChoiceFilter(choices=Problem.Status.choices)
    open = filters.BooleanFilter(method="filter_open")
    light = filters.ChoiceFilter(
        choices=[(light, light) for light in selectors.LIGHTS], method="filter_light"
    )
    category = filters.CharFilter(field_name="category__code")
    department = filters.CharFilter(field_name="department__code")
    area = filters.CharFilter()
    source = filters.ChoiceFilter(choices=Problem.Source.choices)
    reported_after = filters.DateFilter(field_name="reported_at", lookup_expr="date__gte")
    reported_before = filters.DateFilter(field_name="reported_at", lookup_expr="date__lte")
    escalated = filters.BooleanFilter(field_name="escalated_at", lookup_expr="isnull", exclude=True)
    long_term = filters.BooleanFilter()
    section = filters.CharFilter(field_name="section__code", help_text="A monitoring section's code")
    mine = filters.BooleanFilter(method="filter_mine")
    q = filters.CharFilter(method="filter_q")

    class Meta:
        model = Problem
        fields = []

    def filter_open(self, queryset, name, value):
        return queryset.open() if value else queryset.exclude(status__in=OPEN_STATES)

    def filter_light(self, queryset, name, value):
        return selectors.light_filter(queryset, value)

    def filter_mine(self, queryset, name, value):
        return queryset.filter(reporter=self.request.user) if value else queryset

    def filter_q(self, queryset, name, value):
        return selectors.filtered(queryset, selectors.ProblemFilter(q=value))


# --- views -----------------------------------------------------------------------------------------------


class CategoryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The problem categories (active ones for reporters; all for those who edit them)."""

    serializer_class = CategorySerializer
    pagination_class = None

    def get_queryset(self):
        queryset = ProblemCategory.objects.all()
        if not self.request.user.has_perm("problems.change_problemcategory"):
            queryset = queryset.filter(is_active=True)
        return queryset


class ProblemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Problems the caller may see; `POST` reports one; the actions move it along its lifecycle."""

    model = Problem
    filterset_class = ProblemFilterSet

    def scope(self, queryset):
        queryset = queryset.select_related("category", "department")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("events__photos", "events__actor", "children")
        return queryset.order_by("-reported_at", "-id")

    def get_serializer_class(self):
        return ProblemDetailSerializer if self.action != "list" else ProblemSerializer

    def _input(self, serializer_class):
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "photos" in serializer_class().fields:
            values["photos"] = self.request.FILES.getlist("photos") if self.request.FILES else []
        return values

    def _problem(self, problem, status_code=status.HTTP_200_OK):
        fresh = (
            self.get_queryset()
            .prefetch_related("events__photos", "events__actor", "children")
            .get(pk=problem.pk)
        )
        return Response(
            ProblemDetailSerializer(fresh, context=self.get_serializer_context()).data, status=status_code
        )

    @extend_schema(request=ReportSerializer, responses={201: ProblemDetailSerializer})
    @idempotent
    def create(self, request):
        """Report a problem (routed at once when a rule matches its category and area)."""
        data = self._input(ReportSerializer)
        user = request.user
        staff = lifecycle.is_staff_reporter(user)
        source = data.get("source") or (
            Problem.Source.ENTERPRISE_DEMAND if user.enterprise_id and not staff else Problem.Source.CITIZEN
        )
        enterprise = project = None
        if data.get("enterprise"):
            enterprise = fetch_in_scope(Enterprise.objects.for_user(user), data["enterprise"])
        elif user.enterprise_id and not staff:
            enterprise = user.enterprise
        if data.get("project"):
            # Projects sit above problems in the layers: the model is reached through the foreign key.
            project_model = Problem._meta.get_field("project").related_model
            project = fetch_in_scope(project_model.objects.for_user(user), data["project"])
        report = lifecycle.Report(
            category=data["category"],
            title=data["title"],
            description=data["description"],
            source=source,
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            address=data.get("address") or "",
            enterprise=enterprise,
            project=project,
            section=data.get("section"),
        )
        problem = lifecycle.report_problem(user, report, data["photos"])
        return self._problem(problem, status.HTTP_201_CREATED)

    @extend_schema(request=DispatchSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"], url_path="dispatch")
    def dispatch_to(self, request, pk=None):
        """The dispatch centre sends a waiting or returned problem to a department."""
        data = self._input(DispatchSerializer)
        return self._problem(
            lifecycle.dispatch_problem(request.user, self.get_object(), data["department"], data["note"])
        )

    @extend_schema(request=NoteSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """The responsible department accepts (签收) the problem: rectification begins."""
        data = self._input(NoteSerializer)
        return self._problem(lifecycle.accept_problem(request.user, self.get_object(), data["note"]))

    @extend_schema(request=NoteSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        """The department returns the problem to the dispatch centre, with the reason (`note`)."""
        data = self._input(NoteSerializer)
        return self._problem(lifecycle.return_problem(request.user, self.get_object(), data["note"]))

    @extend_schema(request=NoteSerializer, responses=ProblemDetailSerializer)
    @idempotent
    @action(detail=True, methods=["post"])
    def progress(self, request, pk=None):
        """A progress note, with photos."""
        data = self._input(NoteSerializer)
        return self._problem(
            lifecycle.report_progress(request.user, self.get_object(), data["note"], data["photos"])
        )

    @extend_schema(request=LongTermSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"], url_path="long-term")
    def long_term(self, request, pk=None):
        """A long-term rectification plan with its own due date."""
        data = self._input(LongTermSerializer)
        return self._problem(
            lifecycle.plan_long_term(request.user, self.get_object(), data["plan"], data["due_date"])
        )

    @extend_schema(request=NoteSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"])
    def rectify(self, request, pk=None):
        """Rectified, with what was done (`note`) and the evidence photos the category may require."""
        data = self._input(NoteSerializer)
        return self._problem(
            lifecycle.rectify_problem(request.user, self.get_object(), data["note"], data["photos"])
        )

    @extend_schema(request=VerifySerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """The category's verifier: passed closes the problem, failed sends it back (a rework)."""
        data = self._input(VerifySerializer)
        return self._problem(
            lifecycle.verify_problem(
                request.user, self.get_object(), data["passed"], data["note"], data["photos"]
            )
        )

    @extend_schema(request=NoteSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """The reporter reopens a closed problem within the category's days, with the reason (`note`)."""
        data = self._input(NoteSerializer)
        return self._problem(lifecycle.reopen_problem(request.user, self.get_object(), data["note"]))

    @extend_schema(request=RateSerializer, responses=ProblemDetailSerializer)
    @idempotent
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        """The reporter's satisfaction with a closed problem (1–5)."""
        data = self._input(RateSerializer)
        return self._problem(lifecycle.rate_problem(request.user, self.get_object(), data["satisfaction"]))

    @extend_schema(request=MergeSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge this duplicate into the problem numbered `into`."""
        data = self._input(MergeSerializer)
        problem = self.get_object()
        into = self.get_queryset().filter(number=data["into"].strip().upper()).first()
        if into is None:
            raise serializers.ValidationError({"into": [f"{data['into']}: not found"]})
        return self._problem(lifecycle.merge_problem(request.user, problem, into, data["note"]))

    @extend_schema(request=SplitSerializer, responses={201: ProblemSerializer(many=True)})
    @action(detail=True, methods=["post"])
    def split(self, request, pk=None):
        """Split into sub-problems, each dispatched to its department; returns the sub-problems."""
        data = self._input(SplitSerializer)
        parts = [lifecycle.Part(**part) for part in data["parts"]]
        children = lifecycle.split_problem(request.user, self.get_object(), parts, data["note"])
        fresh = self.get_queryset().filter(pk__in=[c.pk for c in children]).order_by("pk")
        return Response(
            ProblemSerializer(fresh, many=True, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=NoteSerializer, responses=ProblemDetailSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        """Not a problem for the platform: done, with why (`note`)."""
        data = self._input(NoteSerializer)
        return self._problem(lifecycle.dismiss_problem(request.user, self.get_object(), data["note"]))


class FiguresSerializer(serializers.Serializer):
    key = serializers.JSONField(allow_null=True)
    label = serializers.CharField()
    reported = serializers.IntegerField()
    closed = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    closed_loop_rate = serializers.FloatField(allow_null=True)
    on_time_rate = serializers.FloatField(allow_null=True)
    rework_rate = serializers.FloatField(allow_null=True)
    reopen_rate = serializers.FloatField(allow_null=True)
    satisfaction = serializers.FloatField(allow_null=True)
    median_working_days = serializers.FloatField(allow_null=True)


class MonthSerializer(serializers.Serializer):
    month = serializers.CharField()
    reported = serializers.IntegerField()
    closed = serializers.IntegerField()


class StatisticsSerializer(serializers.Serializer):
    zone = FiguresSerializer()
    by_category = FiguresSerializer(many=True)
    by_department = FiguresSerializer(many=True)
    by_area = FiguresSerializer(many=True)
    by_source = FiguresSerializer(many=True)
    trend = MonthSerializer(many=True)
    as_of = serializers.DateTimeField(
        allow_null=True,
        help_text="When the background worker counted these figures (the zone's, from its snapshot); null when "
        "counted live for this request",
    )


class StatisticsQuerySerializer(serializers.Serializer):
    category = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_ID, help_text="A category's id"
    )
    area = serializers.CharField(required=False, max_length=40, help_text="An area's code")
    source = serializers.ChoiceField(choices=Problem.Source.choices, required=False)


class ViewsProblems(BasePermission):
    """As the statistics page: `problems.view_problem`."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("problems.view_problem"))


class ProblemStatisticsViewSet(ScopedViewSet):
    """The statistics page's figures: closed-loop, on-time, rework and reopen rates, satisfaction, median
    working days — for the zone and by category, department, area and source — and the monthly trend (to those
    who may read problems, as on the page)."""

    model = Problem
    permission_classes = [ViewsProblems]
    filterset_class = None
    pagination_class = None

    @extend_schema(parameters=[StatisticsQuerySerializer], responses=StatisticsSerializer)
    def list(self, request):
        from . import geo

        query = StatisticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)  # an id beyond the database's integers is a 400, not a 500
        figures = selectors.statistics(
            request.user,
            selectors.ProblemFilter(
                category=query.validated_data.get("category"),
                area=query.validated_data.get("area", ""),
                source=query.validated_data.get("source", ""),
            ),
            area_labels={a.code: geo.area_label(a) for a in geo.areas()},
            department_labels={d.pk: d.display_name for d in Department.objects.all()},
        )
        data = {
            "zone": figures.zone.as_dict(),
            "by_category": [row.as_dict() for row in figures.by_category],
            "by_department": [row.as_dict() for row in figures.by_department],
            "by_area": [row.as_dict() for row in figures.by_area],
            "by_source": [row.as_dict() for row in figures.by_source],
            "trend": figures.trend,
            "as_of": figures.as_of,
        }
        return Response(StatisticsSerializer(data).data)


routes = [
    ("problems", ProblemViewSet, "problem"),
    ("problem-categories", CategoryViewSet, "problem-category"),
    ("problem-statistics", ProblemStatisticsViewSet, "problem-statistics"),
]
