"""The working-day calendar through the API: every user reads which years are official and which are counted
provisionally; administrators who keep the calendar enter holidays and make-up days, confirm a year and follow
the recount of provisional deadlines. Every write goes through `services`, validated and audited as in the admin.
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from sciencecity.api.views import ScopedViewSet

from . import schedule, services
from .calendar import is_year_known, package_covers, provisional_rest_days
from .clock import today
from .models import CalendarYear, DeadlineRecount, HolidayOverride

YEAR_FIELD = {"min_value": 1950, "max_value": 2100}


class OverrideSerializer(serializers.ModelSerializer):
    class Meta:
        model = HolidayOverride
        fields = ["date", "is_working_day", "note"]
        # Setting a day again updates its row; the note may be left out.
        extra_kwargs = {"date": {"validators": []}, "note": {"default": ""}}


class YearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=["official", "confirmed", "provisional"],
        help_text="official: in the calendar package; confirmed: entered and confirmed by administrators; "
        "provisional: counted by the national rules until confirmed (deadlines marked provisional)",
    )
    confirmed_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField(allow_blank=True)
    overrides = OverrideSerializer(many=True, help_text="holidays and make-up days entered for the year")
    statutory_rest_days = serializers.ListField(
        child=serializers.DateField(),
        help_text="the weekdays a provisional year rests by the national rules (empty for other years)",
    )


class ConfirmSerializer(serializers.Serializer):
    year = serializers.IntegerField(**YEAR_FIELD)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class ScheduleRequestSerializer(serializers.Serializer):
    text = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        max_length=100_000,
        help_text="the year's whole schedule, one day or span a line: `2027-02-05~2027-02-12 休 春节`, "
        "`2027-02-13 班 春节调休` (rest/holiday, work/workday too; `#` comments; or CSV date,kind,name)",
    )
    dry_run = serializers.BooleanField(
        default=True, help_text="true (the default): only check and compare; false: apply the schedule"
    )
    confirm = serializers.BooleanField(
        default=False, help_text="with dry_run false: confirm the year in the same step (deadlines recounted)"
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        default="",
        help_text="the notice a confirmation follows",
    )


class ScheduleDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    is_working_day = serializers.BooleanField()
    note = serializers.CharField(allow_blank=True)


class ScheduleEntrySerializer(ScheduleDaySerializer):
    line = serializers.IntegerField(help_text="the line of the text it was read from")


class ScheduleProblemSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="unreadable, invalid_date, invalid_span, outside_year, note_too_long, conflict, "
        "weekday_make_up, statutory_missing, empty"
    )
    message = serializers.CharField()
    line = serializers.IntegerField(allow_null=True)
    date = serializers.DateField(allow_null=True)


class StatutoryDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField()


class ScheduleChangeSerializer(serializers.Serializer):
    date = serializers.DateField()
    before = ScheduleDaySerializer(allow_null=True, help_text="the override stored now (null: none)")
    after = ScheduleDaySerializer(allow_null=True, help_text="the override once applied (null: deleted)")


class ScheduleSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    entries = ScheduleEntrySerializer(many=True, help_text="the days read, in date order")
    errors = ScheduleProblemSerializer(many=True, help_text="why it cannot be applied; empty when it can")
    missing_statutory = StatutoryDaySerializer(
        many=True, help_text="statutory holidays that would be working days (also in errors)"
    )
    warnings = serializers.ListField(child=serializers.CharField(), help_text="to check; not errors")
    added = ScheduleChangeSerializer(many=True)
    changed = ScheduleChangeSerializer(many=True)
    removed = ScheduleChangeSerializer(many=True)
    unchanged = serializers.IntegerField(help_text="overrides stored already as listed")
    can_confirm = serializers.BooleanField(help_text="whether the year may be confirmed with this schedule")
    confirm_refusal = serializers.CharField(
        allow_blank=True, help_text="why the year cannot be confirmed whatever its schedule"
    )
    applied = serializers.BooleanField()
    confirmed = serializers.BooleanField(help_text="whether the year is confirmed (now or before)")


def plan_data(plan: schedule.SchedulePlan, *, applied: bool) -> dict:
    def change(item):
        return {"date": item.date, "before": item.before, "after": item.after}

    return {
        "year": plan.year,
        "entries": plan.entries,
        "errors": plan.errors,
        "missing_statutory": plan.missing_statutory,
        "warnings": plan.warnings,
        "added": [change(item) for item in plan.added],
        "changed": [change(item) for item in plan.changed],
        "removed": [change(item) for item in plan.removed],
        "unchanged": plan.unchanged,
        "can_confirm": plan.ok and not plan.confirm_refusal,
        "confirm_refusal": plan.confirm_refusal,
        "applied": applied,
        "confirmed": CalendarYear.objects.filter(year=plan.year).exists(),
    }


class RecountSerializer(serializers.ModelSerializer):
    trigger_display = serializers.CharField(source="get_trigger_display")
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = DeadlineRecount
        fields = [
            "id",
            "trigger",
            "trigger_display",
            "years",
            "status",
            "status_display",
            "examined",
            "moved",
            "firmed",
            "still_provisional",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied


def year_status(year: int) -> dict:
    confirmed = CalendarYear.objects.filter(year=year).first()
    if package_covers(year):
        state = "official"
    elif confirmed is not None:
        state = "confirmed"
    else:
        state = "provisional"
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    return {
        "year": year,
        "status": state,
        "confirmed_at": confirmed.confirmed_at if confirmed else None,
        "note": confirmed.note if confirmed else "",
        "overrides": HolidayOverride.objects.filter(date__gte=first, date__lte=last),
        "statutory_rest_days": sorted(provisional_rest_days(year)) if not is_year_known(year) else [],
    }


class CalendarYearViewSet(viewsets.ViewSet):
    """The calendar's years: last year to two years ahead, or the `year` asked for."""

    permission_classes = [IsAuthenticated]
    lookup_field = "year"
    lookup_value_regex = "[0-9]+"

    @extend_schema(
        parameters=[OpenApiParameter("year", int, description="one year (1950–2100) instead of four")],
        responses=YearSerializer(many=True),
    )
    def list(self, request):
        asked = request.query_params.get("year")
        if asked is not None:
            field = serializers.IntegerField(**YEAR_FIELD)
            try:
                years = [field.run_validation(asked)]
            except serializers.ValidationError as error:
                raise serializers.ValidationError({"year": error.detail}) from None
        else:
            current = today().year
            years = range(current - 1, current + 3)
        return Response(YearSerializer([year_status(year) for year in years], many=True).data)

    @extend_schema(request=ConfirmSerializer, responses={201: YearSerializer})
    @action(detail=False, methods=["post"])
    def confirm(self, request):
        """Confirm a year whose holidays and make-up days are entered: its deadlines become official, and
        the open provisional deadlines are recounted in the background (see `recounts`)."""
        _require(request.user, "workdays.add_calendaryear")
        data = ConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            year = services.confirm_year(
                request.user, data.validated_data["year"], data.validated_data["note"]
            )
        except DjangoValidationError as error:  # why the year cannot be confirmed, on its field
            raise serializers.ValidationError({"year": error.messages}) from None
        return Response(YearSerializer(year_status(year.year)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("year", int, OpenApiParameter.PATH, description="1950–2100")],
        request=ScheduleRequestSerializer,
        responses={200: ScheduleSerializer},
    )
    @action(detail=True, methods=["post"])
    def schedule(self, request, year=None):
        """Check a year's whole schedule of holidays and make-up working days (`dry_run`, the default): the
        days read, the errors, the statutory holidays it leaves working days, and the difference from the
        overrides stored. With `dry_run` false, make it the year's overrides (those it leaves out deleted)
        and, with `confirm`, confirm the year in the same step; refused with every error if it has any."""
        for permission in ("add", "change", "delete"):
            _require(request.user, f"workdays.{permission}_holidayoverride")
        try:
            year = serializers.IntegerField(**YEAR_FIELD).run_validation(year)
        except serializers.ValidationError as error:
            raise serializers.ValidationError({"year": error.detail}) from None
        data = ScheduleRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        if fields["confirm"] and not fields["dry_run"]:
            _require(request.user, "workdays.add_calendaryear")
        plan = schedule.check_schedule(year, fields["text"])
        if fields["dry_run"]:
            return Response(ScheduleSerializer(plan_data(plan, applied=False)).data)
        refused = {}
        if plan.errors:
            refused["text"] = [ErrorDetail(p.message, p.code) for p in plan.errors]
        if fields["confirm"] and plan.confirm_refusal:
            refused["confirm"] = [plan.confirm_refusal]
        if refused:
            raise serializers.ValidationError(refused)
        try:
            plan = services.import_schedule(
                request.user, year, fields["text"], confirm=fields["confirm"], note=fields["note"]
            )
        except DjangoValidationError as error:  # changed since the check above
            raise serializers.ValidationError({"text": error.messages}) from None
        return Response(ScheduleSerializer(plan_data(plan, applied=True)).data)


class OverrideViewSet(viewsets.GenericViewSet):
    """Make a day a working day or a rest day whatever the official calendar says (setting it again updates
    it)."""

    permission_classes = [IsAuthenticated]
    serializer_class = OverrideSerializer

    @extend_schema(request=OverrideSerializer, responses={201: OverrideSerializer})
    def create(self, request):
        _require(request.user, "workdays.change_holidayoverride")
        data = OverrideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        override = services.set_override(
            request.user, fields["date"], fields["is_working_day"], fields["note"]
        )
        return Response(OverrideSerializer(override).data, status=status.HTTP_201_CREATED)


class RecountViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The passes that recounted open provisional deadlines after a year became official, with their progress
    (administrators who keep the calendar)."""

    model = DeadlineRecount
    serializer_class = RecountSerializer


routes = [
    ("calendar/years", CalendarYearViewSet, "calendar-year"),
    ("calendar/overrides", OverrideViewSet, "calendar-override"),
    ("calendar/recounts", RecountViewSet, "calendar-recount"),
]
