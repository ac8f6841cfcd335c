"""Projects (科产项目) and their file: registered by their enterprise or by the zone; the phase moves only
forward, with its date; the schedule (milestones, phases, annual plans), the monthly reports, the "1+N+5"
escort team with the enterprise's help-and-do consent, the service log and the supervisors' notes are
reached under each project, through the project's scope. Every write goes through `services`."""

import datetime

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from sciencecity.api.filters import IdFilter
from sciencecity.api.idempotency import idempotent
from sciencecity.api.pagination import CursorPage
from sciencecity.api.views import ScopedViewSet, without_unique_check
from sciencecity.enterprises.models import Enterprise
from sciencecity.problems.models import ProblemCategory
from sciencecity.workdays import clock

from . import selectors, services
from .models import (
    EscortMember,
    Inspection,
    InvestmentPlan,
    Level,
    MonthlyReport,
    PhaseChange,
    Project,
    ProjectType,
    ServiceLog,
    SupervisionNote,
    YearCategory,
)
from .services import escort, findings, inspections, reports, schedule, warnings

FIELDS = [
    "code",
    "name",
    "enterprise",
    "investment_type",
    "total_investment",
    "land_area",
    "floor_area",
    "location",
    "phase",
    "is_key",
    "project_type",
    "task_force",
    "prior_investment",
]


class ReasonSerializer(serializers.Serializer):
    measure = serializers.ChoiceField(choices=[(m, m) for m in warnings.M.values])
    level = serializers.ChoiceField(choices=Level.choices)
    value = serializers.CharField()
    text = serializers.CharField(help_text="The reason in the request's language")


class ProjectSerializer(serializers.ModelSerializer):
    enterprise = serializers.PrimaryKeyRelatedField(
        queryset=Enterprise.objects.all(),
        required=False,
        help_text="The enterprise building it; an applicant's own enterprise when left out.",
    )
    project_type = serializers.SlugRelatedField(
        slug_field="code",
        queryset=ProjectType.objects.all(),
        required=False,
        allow_null=True,
        help_text="The type whose milestones the schedule tracks (default: building)",
    )
    warning_reasons = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "id",
            *FIELDS,
            "investment_to_date",
            "warning_level",
            "warning_reasons",
            "warned_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["investment_to_date", "warning_level", "warned_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only enterprises the caller may see can be named; anything else is "does not exist".
            self.fields["enterprise"].queryset = Enterprise.objects.for_user(request.user)
        without_unique_check(self.fields["code"])

    @extend_schema_field(ReasonSerializer(many=True))
    def get_warning_reasons(self, project) -> list[dict]:
        return [
            {key: reason[key] for key in ("measure", "level", "value", "text")}
            for reason in warnings.reasons_of(project)
        ]


class ProjectUpdateSerializer(ProjectSerializer):
    class Meta(ProjectSerializer.Meta):
        read_only_fields = ["phase", *ProjectSerializer.Meta.read_only_fields]


class PhaseSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=Project.Phase.choices)
    on = serializers.DateField(required=False, help_text="The day it happened (default: today)")
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


# --- the schedule -----------------------------------------------------------------------------------------------


class PhaseChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = PhaseChange
        fields = ["from_phase", "to_phase", "changed_on", "note", "actor", "recorded_at"]


class StageSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    number = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=100)


class MilestoneRowSerializer(serializers.Serializer):
    kind = serializers.CharField(source="code")
    name = serializers.CharField()
    stage = serializers.IntegerField(source="stage.number", allow_null=True, default=None)
    planned_on = serializers.DateField(allow_null=True)
    actual_on = serializers.DateField(allow_null=True)
    state = serializers.ChoiceField(choices=[(s, s) for s in ("planned", "done", "late", "overdue")])


class MilestoneSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=40, help_text="A milestone code of the project's type")
    stage = serializers.IntegerField(
        required=False, allow_null=True, help_text="Phase number; none: the project"
    )
    planned_on = serializers.DateField(required=False, allow_null=True)
    actual_on = serializers.DateField(required=False, allow_null=True)


class PlanSerializer(serializers.ModelSerializer):
    completion_percent = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = InvestmentPlan
        fields = ["year", "category", "planned", "completed", "completion_percent", "goal"]
        read_only_fields = ["completed"]
        validators = []


class ProjectScheduleSerializer(serializers.Serializer):
    stages = StageSerializer(many=True)
    milestones = MilestoneRowSerializer(many=True, source="rows")
    plans = PlanSerializer(many=True)
    history = PhaseChangeSerializer(many=True)


# --- reports ---------------------------------------------------------------------------------------------------


class RaisedProblemSerializer(serializers.Serializer):
    # A slug first, then the lookup: a code with a NUL never reaches the database (PostgreSQL refuses it).
    category = serializers.SlugField(max_length=40, help_text="The code of a problem category one may report")
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=2000)

    def validate_category(self, value):
        category = ProblemCategory.objects.reportable().filter(code=value).first()
        if category is None:
            raise serializers.ValidationError(_("没有可报告的问题类别“%(code)s”。") % {"code": value})
        return category


class MonthlyReportSerializer(serializers.ModelSerializer):
    month = serializers.SerializerMethodField()
    problems = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()

    class Meta:
        model = MonthlyReport
        fields = [
            "id",
            "month",
            "investment",
            "progress_percent",
            "progress_text",
            "workforce",
            "is_late",
            "submitted_by",
            "submitted_at",
            "problems",
            "photos",
        ]

    def get_month(self, report) -> str:
        return f"{report.month:%Y-%m}"

    def get_problems(self, report) -> list[str]:
        return [problem.number for problem in report.problems.all()]

    def get_photos(self, report) -> list[str]:
        return [photo.image.name for photo in report.photos.all()]


class NewReportSerializer(serializers.Serializer):
    month = serializers.RegexField(r"^\d{4}-\d{2}$", help_text="YYYY-MM")
    investment = serializers.DecimalField(max_digits=14, decimal_places=2)
    progress_percent = serializers.IntegerField()
    progress_text = serializers.CharField(max_length=2000)
    workforce = serializers.IntegerField(required=False, default=0)
    problems = RaisedProblemSerializer(many=True, required=False, default=list)
    photos = serializers.ListField(child=serializers.ImageField(), required=False, default=list)

    def validate_month(self, value):
        try:
            return datetime.date(int(value[:4]), int(value[5:7]), 1)
        except ValueError:
            raise serializers.ValidationError(_("请选择月份。")) from None


class InspectionSerializer(serializers.ModelSerializer):
    problems = serializers.SerializerMethodField()

    class Meta:
        model = Inspection
        fields = ["id", "kind", "inspected_on", "inspector", "score", "summary", "problems", "recorded_at"]

    def get_problems(self, inspection) -> list[str]:
        return [problem.number for problem in inspection.problems.all()]


class NewInspectionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Inspection.Kind.choices)
    inspected_on = serializers.DateField(required=False, help_text="Default: today")
    score = serializers.IntegerField(min_value=0, max_value=100)
    summary = serializers.CharField(max_length=2000)
    problems = RaisedProblemSerializer(many=True, required=False, default=list)


# --- escort ----------------------------------------------------------------------------------------------------


class MemberSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.__str__", read_only=True)
    department = serializers.IntegerField(source="user.department_id", read_only=True, allow_null=True)

    class Meta:
        model = EscortMember
        fields = ["user", "name", "role", "duty", "department", "since"]
        read_only_fields = ["since"]


class SetMemberSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    role = serializers.ChoiceField(choices=EscortMember.Role.choices)
    duty = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class RemoveMemberSerializer(serializers.Serializer):
    user = serializers.IntegerField()


class ConsentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    granted_by = serializers.IntegerField(source="granted_by_id", read_only=True)
    granted_at = serializers.DateTimeField(read_only=True)
    scope = serializers.CharField(max_length=300)
    valid_until = serializers.DateField(required=False, allow_null=True)


class EscortSerializer(serializers.Serializer):
    task_force = serializers.CharField()
    members = MemberSerializer(many=True)
    consent = ConsentSerializer(allow_null=True)


class ServiceLogSerializer(serializers.ModelSerializer):
    problem = serializers.IntegerField(
        source="problem_id", required=False, allow_null=True, help_text="The project's problem coordinated"
    )

    class Meta:
        model = ServiceLog
        fields = [
            "id",
            "kind",
            "served_on",
            "note",
            "actor",
            "recorded_at",
            "problem",
            "application_id",
            "score",
        ]
        read_only_fields = ["actor", "recorded_at", "application_id"]
        extra_kwargs = {"served_on": {"required": False}}


class SupervisionNoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupervisionNote
        fields = ["id", "author", "written_at", "text"]
        read_only_fields = ["author", "written_at"]


class ProjectFilter(filters.FilterSet):
    """The registry's filters, and the key projects' lists: by warning colour, task force, a member of the
    escort team, the category in this year's plan."""

    warning_level = filters.ChoiceFilter(choices=Level.choices, help_text="Warning colour")
    task_force = filters.CharFilter(help_text="Task force (专班) name")
    escort_user = IdFilter(field_name="escort_members__user_id", help_text="A member of the escort team")
    year_category = filters.ChoiceFilter(
        choices=YearCategory.choices, method="in_year_category", help_text="Category in this year's plan"
    )

    class Meta:
        model = Project
        fields = ["enterprise", "phase", "is_key", "code", "investment_type"]

    def in_year_category(self, queryset, name, value):
        return queryset.filter(plans__year=clock.today().year, plans__category=value)


class ProjectViewSet(
    ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin
):
    model = Project
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def _page(self, queryset, ordering: tuple, serializer_class):
        """A cursor page of one of the project's own lists, in its own order (not the projects')."""
        paginator = CursorPage()
        paginator.ordering = ordering
        page = paginator.paginate_queryset(queryset, self.request, view=None)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)

    def _input(self, serializer_class):
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return dict(data.validated_data)

    @idempotent
    def create(self, request):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if "enterprise" not in fields and request.user.enterprise_id:
            fields["enterprise"] = request.user.enterprise
        if "enterprise" not in fields:
            raise serializers.ValidationError(
                {"enterprise": [serializers.Field.default_error_messages["required"]]}
            )
        project = services.register_project(request.user, **fields)
        return Response(self.get_serializer(project).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProjectUpdateSerializer(partial=True), responses=ProjectSerializer)
    def partial_update(self, request, pk=None):
        project = self.get_object()
        data = ProjectUpdateSerializer(
            project, data=request.data, partial=True, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        project = services.update_project(request.user, project, **data.validated_data)
        return Response(self.get_serializer(project).data)

    @extend_schema(request=PhaseSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def phase(self, request, pk=None):
        """Move the project forward to a later phase (never backwards), dated the day it happened."""
        project = self.get_object()
        data = self._input(PhaseSerializer)
        project = services.change_project_phase(
            request.user, project, data["phase"], on=data.get("on"), note=data["note"]
        )
        return Response(self.get_serializer(project).data)

    # -- the schedule --

    def _schedule(self, project):
        return Response(ProjectScheduleSerializer(selectors.schedule_of(project)).data)

    @extend_schema(responses=ProjectScheduleSerializer)
    @action(detail=True, methods=["get"])
    def schedule(self, request, pk=None):
        """The schedule: milestones planned against actual (the project's and each phase's), the phases, the
        annual plans and the dated history of the phase."""
        return self._schedule(self.get_object())

    @extend_schema(request=MilestoneSerializer, responses=ProjectScheduleSerializer)
    @action(detail=True, methods=["post"])
    def milestones(self, request, pk=None):
        """Set a milestone's planned and actual dates (both as they should stand)."""
        project = self.get_object()
        data = self._input(MilestoneSerializer)
        stage = None
        if data.get("stage") is not None:
            stage = project.stages.filter(number=data["stage"]).values_list("pk", flat=True).first() or -1
        schedule.set_milestone(
            request.user,
            project,
            data["kind"],
            stage=stage,
            planned_on=data.get("planned_on"),
            actual_on=data.get("actual_on"),
        )
        warnings.refresh([project.pk])
        return self._schedule(project)

    @extend_schema(request=StageSerializer, responses=ProjectScheduleSerializer)
    @action(detail=True, methods=["post"])
    def stages(self, request, pk=None):
        """Add the next phase (分期) of a multi-phase project."""
        project = self.get_object()
        schedule.add_stage(request.user, project, self._input(StageSerializer)["name"])
        return self._schedule(project)

    @extend_schema(request=PlanSerializer, responses=ProjectScheduleSerializer)
    @action(detail=True, methods=["post"])
    def plans(self, request, pk=None):
        """Set the plan of a year: its category and the investment to complete."""
        project = self.get_object()
        data = self._input(PlanSerializer)
        schedule.set_plan(
            request.user, project, data["year"], data["category"], data["planned"], data.get("goal", "")
        )
        warnings.refresh([project.pk])
        return self._schedule(project)

    # -- monthly reports --

    @extend_schema(
        methods=["get"],
        responses=MonthlyReportSerializer(many=True),
        description="The monthly reports, newest first.",
    )
    @extend_schema(
        methods=["post"],
        request={"application/json": NewReportSerializer, "multipart/form-data": NewReportSerializer},
        responses={201: MonthlyReportSerializer},
        description="Report (or correct, until its report day) a month; the problems raised enter the closed loop.",
    )
    @action(detail=True, methods=["get", "post"])
    def reports(self, request, pk=None):
        project = self.get_object()
        if request.method == "GET":
            return self._page(selectors.reports_of(project), ("-month",), MonthlyReportSerializer)
        data = self._input(NewReportSerializer)
        report = reports.submit_report(
            request.user,
            project,
            data["month"],
            investment=data["investment"],
            progress_percent=data["progress_percent"],
            progress_text=data["progress_text"],
            workforce=data["workforce"],
            photos=request.FILES.getlist("photos") if request.FILES else [],
            problems=[reports.RaisedProblem(**item) for item in data["problems"]],
        )
        report = selectors.reports_of(project).get(pk=report.pk)
        return Response(MonthlyReportSerializer(report).data, status=status.HTTP_201_CREATED)

    # -- inspections --

    @extend_schema(methods=["get"], responses=InspectionSerializer(many=True))
    @extend_schema(methods=["post"], request=NewInspectionSerializer, responses={201: InspectionSerializer})
    @action(detail=True, methods=["get", "post"])
    def inspections(self, request, pk=None):
        """Quality and safety inspections: inspectors record a score and the findings, each of which becomes a
        closed-loop problem of source quality or safety inspection."""
        project = self.get_object()
        if request.method == "GET":
            return self._page(
                selectors.inspections_of(project), ("-inspected_on", "-id"), InspectionSerializer
            )
        data = self._input(NewInspectionSerializer)
        inspection = inspections.record_inspection(
            request.user,
            project,
            data["kind"],
            data["score"],
            data["summary"],
            inspected_on=data.get("inspected_on"),
            problems=[findings.RaisedProblem(**item) for item in data["problems"]],
        )
        inspection = selectors.inspections_of(project).get(pk=inspection.pk)
        return Response(InspectionSerializer(inspection).data, status=status.HTTP_201_CREATED)

    # -- the escort team --

    def _escort(self, project):
        data = {
            "task_force": project.task_force,
            "members": selectors.team_of(project),
            "consent": selectors.consent_of(project),
        }
        return Response(EscortSerializer(data).data)

    @extend_schema(responses=EscortSerializer)
    @action(detail=True, methods=["get"])
    def escort(self, request, pk=None):
        """The "1+N+5" escort team and the help-and-do consent in force."""
        return self._escort(self.get_object())

    @extend_schema(request=SetMemberSerializer, responses=EscortSerializer)
    @action(detail=True, methods=["post"], url_path="escort/members")
    def escort_members(self, request, pk=None):
        """Put a civil servant on the team (lead, specialist or party-building instructor)."""
        project = self.get_object()
        data = self._input(SetMemberSerializer)
        member = get_user_model().objects.filter(pk=data["user"]).first()
        escort.set_member(request.user, project, member or data["user"], data["role"], data["duty"])
        return self._escort(project)

    @extend_schema(request=RemoveMemberSerializer, responses=EscortSerializer)
    @action(detail=True, methods=["post"], url_path="escort/members/remove")
    def escort_remove(self, request, pk=None):
        project = self.get_object()
        escort.remove_member(request.user, project, self._input(RemoveMemberSerializer)["user"])
        return self._escort(project)

    @extend_schema(request=ConsentSerializer, responses=EscortSerializer)
    @action(detail=True, methods=["post"])
    def consent(self, request, pk=None):
        """The enterprise consents to help-and-do for its project."""
        project = self.get_object()
        data = self._input(ConsentSerializer)
        escort.grant_consent(request.user, project, data["scope"], data.get("valid_until"))
        return self._escort(project)

    @extend_schema(request=None, responses=EscortSerializer)
    @action(detail=True, methods=["post"], url_path="consent/revoke")
    def consent_revoke(self, request, pk=None):
        """The enterprise withdraws its help-and-do consent."""
        project = self.get_object()
        escort.revoke_consent(request.user, project)
        return self._escort(project)

    @extend_schema(methods=["get"], responses=ServiceLogSerializer(many=True))
    @extend_schema(methods=["post"], request=ServiceLogSerializer, responses={201: ServiceLogSerializer})
    @action(detail=True, methods=["get", "post"], url_path="service-logs")
    def service_logs(self, request, pk=None):
        """The escort service log: the team records visits, help, coordination and supervision; the
        enterprise its evaluation (with a score)."""
        project = self.get_object()
        if request.method == "GET":
            return self._page(selectors.service_logs(project), ("-served_on", "-id"), ServiceLogSerializer)
        data = self._input(ServiceLogSerializer)
        log = escort.log_service(
            request.user,
            project,
            data["kind"],
            data["note"],
            served_on=data.get("served_on"),
            problem=data.get("problem_id"),
            score=data.get("score"),
        )
        return Response(ServiceLogSerializer(log).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["get"], responses=SupervisionNoteSerializer(many=True))
    @extend_schema(
        methods=["post"], request=SupervisionNoteSerializer, responses={201: SupervisionNoteSerializer}
    )
    @action(detail=True, methods=["get", "post"], url_path="supervision-notes")
    def supervision_notes(self, request, pk=None):
        """Supervisors' notes on a key project they follow (read by the zone-wide roles)."""
        project = self.get_object()
        if request.method == "GET":
            notes = selectors.supervision_notes(request.user, project)
            return self._page(notes, ("-written_at", "-id"), SupervisionNoteSerializer)
        note = escort.add_supervision_note(
            request.user, project, self._input(SupervisionNoteSerializer)["text"]
        )
        return Response(SupervisionNoteSerializer(note).data, status=status.HTTP_201_CREATED)


routes = [("projects", ProjectViewSet, "project")]
