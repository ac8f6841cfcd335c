"""The rivers through the API: `/api/v1/rivers/` (each with its run of years better than the target),
`/api/v1/river-sections/` (each with its computed status; `nearest/` for a patrol's position; `summary/` for
the zone's counts) and `/api/v1/water-readings/` (list; `POST` enters a month's reading and `correct/` corrects
one — the section's department). Everyone signed in reads them, as on the pages; writes call `services`, which
check the department (403) and the reading (400, one entry per field).

Classes are numbers: 1–5 for Ⅰ–Ⅴ, 6 for 劣Ⅴ (GB 3838-2002); indicators are in mg/L; a month is "YYYY-MM".
"""

import re

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from sciencecity.api.filters import IdFilter
from sciencecity.api.idempotency import idempotent
from sciencecity.api.views import ScopedViewSet

from . import services
from . import status as computed
from .models import MonitoringSection, River, WaterReading
from .standard import INDICATOR_FIELDS, UNIT

MONTH = re.compile(r"^[1-9]\d{3}-(0[1-9]|1[0-2])$")  # no year 0000: `datetime.date` refuses it
CLASS_HELP = "GB 3838-2002 class: 1–5 for Ⅰ–Ⅴ, 6 for 劣Ⅴ (worse than Ⅴ)"


def month_field(**kwargs):
    return serializers.RegexField(MONTH, help_text="YYYY-MM", **kwargs)


def to_month(text: str):
    import datetime

    year, month = text.split("-")
    return datetime.date(int(year), int(month), 1)


class WaterYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    water_class = serializers.IntegerField(help_text="the worst month's class")
    months = serializers.IntegerField(help_text="months with a reading")
    over = serializers.BooleanField(help_text="the year has ended")
    judged = serializers.BooleanField(help_text="over, with enough months to count in a run")
    margin = serializers.IntegerField(help_text="target − class: > 0 better, 0 met, < 0 missed")


class SectionStatusSerializer(serializers.Serializer):
    latest_month = serializers.CharField(allow_null=True, help_text="YYYY-MM of the latest reading")
    latest_class = serializers.IntegerField(allow_null=True, help_text=CLASS_HELP)
    target_class = serializers.IntegerField(help_text=CLASS_HELP)
    margin = serializers.IntegerField(
        allow_null=True, help_text="target − latest class: better by N (> 0), met (0), missed by N (< 0)"
    )
    verdict = serializers.ChoiceField(choices=["", "better", "met", "missed"])
    stale = serializers.BooleanField(help_text="the latest reading is more than two months old")
    run_years = serializers.IntegerField(
        help_text="consecutive ended years better than the target, to last year"
    )
    run_margin = serializers.IntegerField(allow_null=True, help_text="the smallest margin of those years")
    run_from = serializers.IntegerField(allow_null=True)
    run_to = serializers.IntegerField(allow_null=True)
    trend = serializers.ChoiceField(choices=["", "improving", "stable", "worsening"])
    recent_mean_class = serializers.FloatField(
        allow_null=True, help_text="mean class of the latest 12 months"
    )
    previous_mean_class = serializers.FloatField(
        allow_null=True, help_text="mean class of the 12 months before"
    )
    same_month_last_year = serializers.IntegerField(allow_null=True)
    months_met = serializers.IntegerField(
        help_text="of the latest 12 months, those at or better than the target"
    )
    months_read = serializers.IntegerField()
    years = WaterYearSerializer(many=True)


class SectionSerializer(serializers.ModelSerializer):
    river = serializers.CharField(source="river.code", read_only=True)
    river_name = serializers.CharField(source="river.name", read_only=True)
    department = serializers.CharField(source="department.code", read_only=True)
    target_class = serializers.IntegerField(read_only=True, help_text=CLASS_HELP)
    status = serializers.SerializerMethodField()

    class Meta:
        model = MonitoringSection
        fields = [
            "id",
            "code",
            "name",
            "name_en",
            "river",
            "river_name",
            "level",
            "assessed",
            "latitude",
            "longitude",
            "area",
            "target_class",
            "chief",
            "department",
            "is_active",
            "status",
        ]
        read_only_fields = fields

    @extend_schema_field(SectionStatusSerializer)
    def get_status(self, section):
        found = self.context.get("statuses", {}).get(section.pk) or computed.status_of(section)
        return found.as_dict()


class NearSectionSerializer(SectionSerializer):
    distance_m = serializers.SerializerMethodField()

    class Meta(SectionSerializer.Meta):
        fields = [*SectionSerializer.Meta.fields, "distance_m"]
        read_only_fields = fields

    def get_distance_m(self, section) -> int:
        return round(self.context["distances"][section.pk])


class RiverSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code", read_only=True)
    run_years = serializers.SerializerMethodField()
    run_margin = serializers.SerializerMethodField()
    run_from = serializers.SerializerMethodField()
    run_to = serializers.SerializerMethodField()
    sections = serializers.SerializerMethodField()

    class Meta:
        model = River
        fields = [
            "id",
            "code",
            "name",
            "name_en",
            "flows_into",
            "length_km",
            "chief",
            "department",
            "is_active",
            "run_years",
            "run_margin",
            "run_from",
            "run_to",
            "sections",
        ]
        read_only_fields = fields

    def _status(self, river) -> computed.RiverStatus:
        found = self.context.setdefault("rivers", {})
        if river.pk not in found:
            rows = list(computed.active_sections().filter(river=river))
            found[river.pk] = computed.river_status(river, list(computed.statuses(rows).values()))
        return found[river.pk]

    def get_run_years(self, river) -> int:
        return self._status(river).run_years

    def get_run_margin(self, river) -> int | None:
        return self._status(river).run_margin

    def get_run_from(self, river) -> int | None:
        return self._status(river).run_from

    def get_run_to(self, river) -> int | None:
        return self._status(river).run_to

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_sections(self, river) -> list[str]:
        return [s.section.code for s in self._status(river).sections]


class ReadingSerializer(serializers.ModelSerializer):
    section = serializers.CharField(source="section.code", read_only=True)
    month = serializers.SerializerMethodField()
    water_class = serializers.IntegerField(read_only=True, help_text=CLASS_HELP)
    target_class = serializers.IntegerField(source="section.target_class", read_only=True)
    unit = serializers.SerializerMethodField()
    recorded_by = serializers.CharField(source="recorded_by.display_name", read_only=True, allow_null=True)

    class Meta:
        model = WaterReading
        fields = [
            "id",
            "section",
            "month",
            "water_class",
            "target_class",
            *INDICATOR_FIELDS,
            "unit",
            "note",
            "source",
            "recorded_by",
            "recorded_at",
            "corrected_at",
        ]
        read_only_fields = fields

    def get_month(self, reading) -> str:
        return reading.month.strftime("%Y-%m")

    def get_unit(self, reading) -> str:
        return UNIT


def _indicator(**kwargs):
    return serializers.DecimalField(
        max_digits=10, decimal_places=3, required=False, allow_null=True, help_text=UNIT, **kwargs
    )


class ReadingValuesSerializer(serializers.Serializer):
    water_class = serializers.IntegerField(min_value=1, max_value=6, help_text=CLASS_HELP)
    cod = _indicator()
    ammonia_nitrogen = _indicator()
    total_phosphorus = _indicator()
    dissolved_oxygen = _indicator()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReadingInputSerializer(ReadingValuesSerializer):
    section = serializers.SlugRelatedField(slug_field="code", queryset=MonitoringSection.objects.all())
    month = month_field()


class CorrectionSerializer(ReadingValuesSerializer):
    reason = serializers.CharField(max_length=500)


class SectionFilterSet(filters.FilterSet):
    id = IdFilter()
    river = filters.CharFilter(field_name="river__code")
    level = filters.ChoiceFilter(choices=MonitoringSection.Level.choices)
    active = filters.BooleanFilter(field_name="is_active")

    class Meta:
        model = MonitoringSection
        fields = []


class ReadingFilterSet(filters.FilterSet):
    id = IdFilter()
    section = filters.CharFilter(field_name="section__code")
    river = filters.CharFilter(field_name="section__river__code")
    month_from = filters.CharFilter(method="filter_from", help_text="YYYY-MM")
    month_to = filters.CharFilter(method="filter_to", help_text="YYYY-MM")

    class Meta:
        model = WaterReading
        fields = []

    def _month(self, value):
        if not MONTH.match(value or ""):
            raise serializers.ValidationError({"month": ["YYYY-MM"]})
        return to_month(value)

    def filter_from(self, queryset, name, value):
        return queryset.filter(month__gte=self._month(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(month__lte=self._month(value))


class NearQuerySerializer(serializers.Serializer):
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-180, max_value=180)
    limit = serializers.IntegerField(min_value=1, max_value=20, default=5)


class RiverSummarySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    sections = serializers.IntegerField()
    meeting = serializers.IntegerField()
    run_years = serializers.IntegerField()
    run_margin = serializers.IntegerField(allow_null=True)
    run_from = serializers.IntegerField(allow_null=True)
    run_to = serializers.IntegerField(allow_null=True)


class SummarySerializer(serializers.Serializer):
    latest_month = serializers.CharField(allow_null=True)
    sections = serializers.IntegerField()
    meeting = serializers.IntegerField(help_text="latest month at or better than the target")
    better = serializers.IntegerField()
    missed = serializers.IntegerField()
    without_data = serializers.IntegerField(help_text="no reading, or none in the last two months")
    meeting_rate = serializers.FloatField(
        allow_null=True, help_text="percent of the sections with recent data"
    )
    rivers = RiverSummarySerializer(many=True)


class RiverViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The zone's rivers, each with its run of years better than the target (over its assessed sections)."""

    model = River
    serializer_class = RiverSerializer
    pagination_class = None
    filterset_class = None
    ordering = ["order", "code"]

    def scope(self, queryset):
        return queryset.select_related("department").order_by("order", "code")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action == "list" and not getattr(self, "swagger_fake_view", False):
            zone = computed.zone()
            context["rivers"] = {row.river.pk: row for row in zone.rivers}
        return context


class SectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Monitoring sections with their computed status (this month against the target, the run, the trend)."""

    model = MonitoringSection
    serializer_class = SectionSerializer
    filterset_class = SectionFilterSet
    ordering = ["id"]
    ordering_fields = ["id"]

    def scope(self, queryset):
        return queryset.select_related("river", "department")

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        context = self.get_serializer_context() | {"statuses": computed.statuses(page)}
        return self.get_paginated_response(SectionSerializer(page, many=True, context=context).data)

    @extend_schema(parameters=[NearQuerySerializer], responses=NearSectionSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def nearest(self, request):
        """The active sections nearest a point (a patrol's position), nearest first, with their distance."""
        query = NearQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        sections = computed.active_sections().filter(pk__in=self.get_queryset().values("pk"))
        found = computed.nearest(float(data["latitude"]), float(data["longitude"]), sections, data["limit"])
        rows = [section for section, _metres in found]
        context = self.get_serializer_context() | {
            "statuses": computed.statuses(rows),
            "distances": {section.pk: metres for section, metres in found},
        }
        return Response(NearSectionSerializer(rows, many=True, context=context).data)

    @extend_schema(responses=SummarySerializer, parameters=[OpenApiParameter("river", str, required=False)])
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def summary(self, request):
        """The zone's sections at, better than and below their targets in their latest month, and each river's
        run (what the cockpit shows)."""
        sections = computed.active_sections().filter(pk__in=self.get_queryset().values("pk"))
        if request.query_params.get("river"):
            sections = sections.filter(river__code=request.query_params["river"])
        zone = computed.zone(sections)
        return Response(
            SummarySerializer(
                {
                    "latest_month": zone.latest_month.strftime("%Y-%m") if zone.latest_month else None,
                    "sections": zone.total,
                    "meeting": zone.meeting,
                    "better": zone.better,
                    "missed": zone.missed,
                    "without_data": zone.without_data,
                    "meeting_rate": zone.meeting_rate,
                    "rivers": [
                        {
                            "code": row.river.code,
                            "name": row.river.name,
                            "sections": len(row.sections),
                            "meeting": row.meeting,
                            "run_years": row.run_years,
                            "run_margin": row.run_margin,
                            "run_from": row.run_from,
                            "run_to": row.run_to,
                        }
                        for row in zone.rivers
                    ],
                }
            ).data
        )


class ReadingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Monthly readings, newest month first; `POST` enters one (the section's department)."""

    model = WaterReading
    serializer_class = ReadingSerializer
    filterset_class = ReadingFilterSet
    ordering = ["-month", "-id"]
    ordering_fields = ["month", "id"]

    def scope(self, queryset):
        return queryset.select_related("section", "recorded_by")

    def _answer(self, reading, code=status.HTTP_200_OK):
        return Response(ReadingSerializer(self.get_queryset().get(pk=reading.pk)).data, status=code)

    @extend_schema(request=ReadingInputSerializer, responses={201: ReadingSerializer})
    @idempotent
    def create(self, request):
        payload = ReadingInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        data["month"] = to_month(data["month"])
        reading = services.record_reading(request.user, services.Reading(**data))
        return self._answer(reading, status.HTTP_201_CREATED)

    @extend_schema(request=CorrectionSerializer, responses=ReadingSerializer)
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        """Correct the reading (its section's department), with the `reason`; the month stays."""
        payload = CorrectionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        reason = data.pop("reason")
        reading = self.get_object()
        corrected = services.correct_reading(
            request.user,
            reading,
            services.Reading(section=reading.section, month=reading.month, **data),
            reason,
        )
        return self._answer(corrected)


routes = [
    ("rivers", RiverViewSet, "river"),
    ("river-sections", SectionViewSet, "river-section"),
    ("water-readings", ReadingViewSet, "water-reading"),
]
