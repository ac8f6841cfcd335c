"""The cockpit through the API: the board of a period (every figure beside the same period last year, every
chart), the definitions of the figures, the records behind any figure or bar (cursor-paged, the same
queryset as the page), and the monthly reports (list, ask for one, download). For zone-wide readers with
`cockpit.view_cockpit` (403 for everyone else); asking for a report needs `cockpit.generate_report`."""

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from sciencecity.api.pagination import CursorPage
from sciencecity.api.views import ScopedViewSet

from . import figures, services
from .access import GENERATE, reads_cockpit
from .board import build
from .models import ZoneReport
from .periods import MONTH, PeriodError, parse_period
from .records import UnknownSelection, dimensions_of, select

PERIOD = OpenApiParameter(
    "period", str, description="2026-11 (a month), 2026-Q4 (a quarter) or 2026 (a year); default: this month"
)
BY = OpenApiParameter(
    "by", str, description="A chart's dimension that breaks the figure down (see /figures/)"
)
VALUE = OpenApiParameter("value", str, description="The dimension's value of one bar")
CURSOR = OpenApiParameter("cursor", str, description="The pagination cursor value")
PAGE_SIZE = OpenApiParameter(
    "page_size", int, description="Number of results to return per page (at most 200)"
)
KEY = OpenApiParameter(
    "key", str, OpenApiParameter.PATH, description="A figure's key (see /cockpit/figures/)"
)


class ReadsCockpit(BasePermission):
    message = gettext_lazy("只有领导和纪检监督人员可以查看领导驾驶舱。")

    def has_permission(self, request, view):
        return reads_cockpit(request.user)


def _period(request):
    try:
        return parse_period(request.query_params.get("period"))
    except PeriodError as error:
        raise ValidationError({"period": [str(error)]}) from error


class CockpitFigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    definition = serializers.CharField()
    unit = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    last_year = serializers.FloatField(
        allow_null=True, help_text="The same period last year (period figures)"
    )
    change = serializers.FloatField(
        allow_null=True, help_text="Against last year: per cent, or points for a rate"
    )
    change_unit = serializers.ChoiceField(
        choices=["%", "pp"], help_text="% of last year's figure, or percentage points"
    )
    in_period = serializers.BooleanField(help_text="False: a state of today, which no period changes")


class CockpitCategorySerializer(serializers.Serializer):
    value = serializers.CharField(allow_blank=True)
    label = serializers.CharField()


class CockpitSeriesSerializer(serializers.Serializer):
    figure = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    values = serializers.ListField(child=serializers.FloatField())


class CockpitChartSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    in_period = serializers.BooleanField()
    categories = CockpitCategorySerializer(many=True)
    series = CockpitSeriesSerializer(many=True)


class CockpitSectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    figures = CockpitFigureSerializer(many=True)
    charts = CockpitChartSerializer(many=True)


class CockpitBoardSerializer(serializers.Serializer):
    period = serializers.CharField()
    label = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField(help_text="The day after the period's last")
    as_of = serializers.DateTimeField(help_text="When the period's figures were counted")
    last_year_as_of = serializers.DateTimeField()
    sections = CockpitSectionSerializer(many=True)
    ranking = serializers.JSONField(help_text="The newest published round of the campaign")
    teams = serializers.JSONField(help_text="The pioneer teams' outcomes in the period's year")


class CockpitDefinitionSerializer(serializers.Serializer):
    key = serializers.CharField()
    section = serializers.CharField()
    label = serializers.CharField()
    definition = serializers.CharField()
    unit = serializers.CharField()
    records = serializers.CharField(help_text="The kind of record it counts")
    measure = serializers.CharField(help_text="count, sum or avg (of `field`)")
    field = serializers.CharField(allow_blank=True)
    in_period = serializers.BooleanField()
    dimensions = serializers.ListField(child=serializers.CharField())


class CockpitRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField(help_text="The record's page")
    values = serializers.DictField(help_text="The listing's columns, by key")


class CockpitRecordPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CockpitRecordSerializer(many=True)


class CockpitRecordsMeasureSerializer(serializers.Serializer):
    figure = serializers.CharField()
    period = serializers.CharField()
    by = serializers.CharField(allow_blank=True)
    value = serializers.CharField(allow_blank=True)
    measure = serializers.FloatField(allow_null=True, help_text="The list's figure counted now")
    columns = serializers.ListField(child=serializers.CharField())


class CockpitViewSet(viewsets.ViewSet):
    permission_classes = [ReadsCockpit]

    @extend_schema(parameters=[PERIOD], responses=CockpitBoardSerializer)
    def list(self, request):
        """The board of a period: each section's figures with the same period last year, and its charts."""
        period = _period(request)
        board = build(period, links=False)
        data = {
            "period": period.key,
            "label": period.label,
            "start": period.start,
            "end": period.end,
            "as_of": board.as_of,
            "last_year_as_of": board.last_year_as_of,
            "sections": [
                {
                    "key": section.key,
                    "title": section.title,
                    "figures": [cell.as_dict() for cell in section.cells],
                    "charts": [chart.as_dict() for chart in section.charts],
                }
                for section in board.sections
            ],
            "ranking": board.ranking,
            "teams": board.teams,
        }
        return Response(CockpitBoardSerializer(data).data)

    @extend_schema(responses=CockpitDefinitionSerializer(many=True))
    @action(detail=False, methods=["get"])
    def figures(self, request):
        """What each figure counts, and the dimensions its charts break it down by."""
        rows = [
            {
                "key": figure.key,
                "section": figure.section,
                "label": str(figure.label),
                "definition": str(figure.definition),
                "unit": str(figure.unit),
                "records": figure.kind,
                "measure": figure.measure,
                "field": figure.field,
                "in_period": figure.in_period,
                "dimensions": sorted(dimensions_of(figure.key)),
            }
            for figure in figures.FIGURES
        ]
        return Response(CockpitDefinitionSerializer(rows, many=True).data)


class CockpitRecordsViewSet(viewsets.ViewSet):
    """The records behind one figure (or one bar: `by` and `value`), newest first by id, cursor-paged."""

    permission_classes = [ReadsCockpit]
    lookup_field = "key"
    lookup_value_regex = r"[a-z_]{1,40}"

    def _selection(self):
        query = self.request.query_params
        try:
            return select(
                self.kwargs["key"], query.get("period"), query.get("by", ""), query.get("value", "")
            )
        except UnknownSelection as error:
            raise Http404(str(error)) from error
        except PeriodError as error:
            raise ValidationError({"period": [str(error)]}) from error

    @extend_schema(
        parameters=[KEY, PERIOD, BY, VALUE, CURSOR, PAGE_SIZE], responses=CockpitRecordPageSerializer
    )
    def retrieve(self, request, key=None):
        selection = self._selection()
        listing = selection.listing
        queryset = listing.rows(selection.queryset).order_by("-pk")
        paginator = CursorPage()
        page = paginator.paginate_queryset(queryset, request, view=self)
        rows = [
            {
                "id": record.pk,
                "url": listing.url(record),
                "values": {column.key: column.value(record) for column in listing.columns},
            }
            for record in page
        ]
        return paginator.get_paginated_response(CockpitRecordSerializer(rows, many=True).data)

    @extend_schema(parameters=[KEY, PERIOD, BY, VALUE], responses=CockpitRecordsMeasureSerializer)
    @action(detail=True, methods=["get"])
    def measure(self, request, key=None):
        """The list's own figure counted now (its length, sum or average): equal to the board's figure when
        nothing changed since it was counted."""
        selection = self._selection()
        data = {
            "figure": selection.figure.key,
            "period": selection.period.key,
            "by": selection.dimension,
            "value": selection.value,
            "measure": selection.measure(),
            "columns": [column.key for column in selection.listing.columns],
        }
        return Response(CockpitRecordsMeasureSerializer(data).data)


class ZoneReportSerializer(serializers.ModelSerializer):
    month = serializers.SerializerMethodField()
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = ZoneReport
        fields = [
            "id",
            "month",
            "status",
            "requested_at",
            "generated_at",
            "size",
            "pages",
            "seconds",
            "error",
            "file_url",
        ]
        read_only_fields = fields

    def get_month(self, report) -> str:
        return f"{report.month:%Y-%m}"

    def get_file_url(self, report) -> str | None:
        if report.status != ZoneReport.Status.READY:
            return None
        return f"/api/v1/cockpit-reports/{report.pk}/file/"


class ZoneReportRequestSerializer(serializers.Serializer):
    month = serializers.RegexField(r"^\d{4}-\d{2}$", max_length=7, help_text="2026-11")


class ZoneReportViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The zone's monthly reports, newest month first; POST asks for one (rendered in the background)."""

    model = ZoneReport
    serializer_class = ZoneReportSerializer
    permission_classes = [ReadsCockpit]
    ordering = "-pk"

    @extend_schema(request=ZoneReportRequestSerializer, responses={202: ZoneReportSerializer})
    def create(self, request):
        if not request.user.has_perm(GENERATE):
            raise PermissionDenied(_("您没有生成园区月度报告的权限。"))
        payload = ZoneReportRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            month = parse_period(payload.validated_data["month"])
        except PeriodError as error:
            raise ValidationError({"month": [str(error)]}) from error
        if month.kind != MONTH:
            raise ValidationError({"month": [_("月度报告按月生成,请选择一个月份。")]})
        report = services.request_report(request.user, month)
        report.refresh_from_db()
        return Response(ZoneReportSerializer(report).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"])
    def file(self, request, pk=None):
        report = self.get_object()
        if report.status != ZoneReport.Status.READY or not report.file:
            raise Http404(_("报告尚未生成或不存在。"))
        return FileResponse(
            report.file.open("rb"),
            as_attachment=True,
            filename=report.filename,
            content_type="application/pdf",
        )


routes = [
    ("cockpit", CockpitViewSet, "cockpit"),
    ("cockpit/records", CockpitRecordsViewSet, "cockpit-records"),
    ("cockpit-reports", ZoneReportViewSet, "cockpit-report"),
]
