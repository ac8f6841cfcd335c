"""The devolved municipal powers (下放市级行政权力) in the API, read-only: the list with the pages' filters
and one power, each with its usage figures in a period; and the summary of the whole list.

The list is public, as power lists are published (no login; `usage` is null then); the figures, the
`in_use` filter and the summary are for civil servants (`power_usage.sees_usage`): others asking for them
get 401 (not signed in) or 403. The list is edited in the admin or imported as a spreadsheet
(`catalog.powers`), not here.
"""

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from sciencecity.api.views import ScopedViewSet
from sciencecity.catalog.powers import selectors
from sciencecity.catalog.powers.models import DevolvedPower, PowerKind

from ..forms.powers import PeriodForm
from ..power_usage import Period, Usage, item_usage, merged, sees_usage, summary
from ..views.public import version_in_force


class UsageSerializer(serializers.Serializer):
    """The figures of a period (see `approvals.power_usage`)."""

    since = serializers.DateField()
    until = serializers.DateField()
    in_use = serializers.BooleanField(help_text="At least one review task started in the period")
    tasks = serializers.IntegerField(help_text="Review tasks of the implementing items started in the period")
    applications = serializers.IntegerField(help_text="Their applications (once per item)")
    decided = serializers.IntegerField(help_text="Of those tasks, the decided ones")
    median_days = serializers.FloatField(allow_null=True, help_text="Median working days, start to decision")
    p90_days = serializers.IntegerField(allow_null=True, help_text="90th percentile (nearest rank)")
    within_legal_pct = serializers.DecimalField(
        max_digits=4, decimal_places=1, allow_null=True, help_text="Decided by the legal deadline, %"
    )
    within_promised_pct = serializers.DecimalField(
        max_digits=4, decimal_places=1, allow_null=True, help_text="Decided by the promised deadline, %"
    )


def usage_data(usage: Usage, period: Period) -> dict:
    return {"since": period.since, "until": period.until, "in_use": usage.in_use, **usage.as_dict()}


class DevolvedPowerSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    department_name = serializers.CharField(source="department.display_name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    items = serializers.ListField(
        source="item_codes",
        child=serializers.CharField(),
        read_only=True,
        help_text="Implementing item codes",
    )
    usage = serializers.SerializerMethodField(
        help_text="Null for the public (and for those who are not staff)"
    )

    class Meta:
        model = DevolvedPower
        fields = [
            "id",
            "code",
            "position",
            "name",
            "name_en",
            "kind",
            "kind_display",
            "law",
            "article",
            "basis",
            "original_authority",
            "decision_number",
            "decision_title",
            "devolved_on",
            "department",
            "department_name",
            "status",
            "status_display",
            "withdrawn_on",
            "status_note",
            "items",
            "usage",
        ]
        read_only_fields = fields

    @extend_schema_field(UsageSerializer(allow_null=True))
    def get_usage(self, power) -> dict | None:
        usage, period = self.context.get("usage"), self.context.get("period")
        if usage is None:
            return None
        return UsageSerializer(usage_data(usage.get(power.pk) or Usage(), period)).data


class PowerItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(
        allow_null=True, help_text="In the catalog version in force; null: not in it"
    )
    department = serializers.CharField(allow_null=True)
    legal_limit_days = serializers.IntegerField(allow_null=True)
    promised_limit_days = serializers.IntegerField(allow_null=True)
    usage = UsageSerializer(allow_null=True)


class DevolvedPowerDetailSerializer(DevolvedPowerSerializer):
    item_details = serializers.SerializerMethodField(help_text="Each implementing item, with its own figures")

    class Meta(DevolvedPowerSerializer.Meta):
        fields = [*DevolvedPowerSerializer.Meta.fields, "item_details"]
        read_only_fields = fields

    @extend_schema_field(PowerItemSerializer(many=True))
    def get_item_details(self, power) -> list[dict]:
        items = selectors.items_in_version(power.item_codes, version_in_force())
        by_item, period = self.context.get("by_item"), self.context.get("period")
        rows = []
        for code in power.item_codes:
            item = items.get(code)
            rows.append(
                {
                    "code": code,
                    "name": item.display_name if item else None,
                    "department": item.department.code if item else None,
                    "legal_limit_days": item.legal_limit_days if item else None,
                    "promised_limit_days": item.promised_limit_days if item else None,
                    "usage": usage_data(by_item.get(code) or Usage(), period)
                    if by_item is not None
                    else None,
                }
            )
        return PowerItemSerializer(rows, many=True).data


class PowerFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", label="Name, code, basis, authority, decision or an item code")
    kind = filters.ChoiceFilter(choices=PowerKind.choices)
    department = filters.CharFilter(method="search", label="The exercising department's code")
    status = filters.ChoiceFilter(choices=DevolvedPower.Status.choices)
    since = filters.DateFilter(method="period", label="First day of the figures' period (staff)")
    until = filters.DateFilter(method="period", label="Last day of the figures' period (staff)")
    in_use = filters.BooleanFilter(method="use", label="Used (or not) in the period (staff)")

    class Meta:
        model = DevolvedPower
        fields = ["q", "kind", "department", "status", "since", "until", "in_use"]

    def search(self, queryset, name, value):
        return selectors.search(queryset, **{name: value})

    def period(self, queryset, name, value):
        return queryset  # they set the figures' period (`DevolvedPowerViewSet.period`)

    def use(self, queryset, name, value):
        view = self.request.parser_context["view"]
        view.require_figures()
        usage = _usage_of(queryset, view.period())  # the scope has read the links (`scope`)
        return queryset.filter(pk__in=[pk for pk, one in usage.items() if one.in_use == value])


def _usage_of(powers, period) -> dict:
    powers = list(powers)
    by_item = item_usage({code for power in powers for code in power.item_codes}, period)
    return {power.pk: merged(power.item_codes, by_item) for power in powers}


class GroupSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The department's code or the kind")
    label = serializers.CharField()
    powers = serializers.IntegerField()
    in_force = serializers.IntegerField()
    linked = serializers.IntegerField(help_text="In force and linked to service items")
    in_use = serializers.IntegerField(help_text="In force and used in the period")
    usage = UsageSerializer()


class RankedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    department = serializers.CharField()
    usage = UsageSerializer()


class PowerSummarySerializer(serializers.Serializer):
    since = serializers.DateField()
    until = serializers.DateField()
    total = GroupSerializer()
    departments = GroupSerializer(many=True)
    kinds = GroupSerializer(many=True)
    fastest = RankedSerializer(many=True, help_text="By median working days (at least 3 decided tasks)")
    slowest = RankedSerializer(many=True)


class DevolvedPowerViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The devolved municipal powers, in the list's order. Public; figures for civil servants."""

    model = DevolvedPower
    permission_classes = [AllowAny]
    filterset_class = PowerFilter
    ordering = ["position", "id"]
    ordering_fields = ["position", "code", "id"]

    def get_serializer_class(self):
        return DevolvedPowerSerializer if self.action == "list" else DevolvedPowerDetailSerializer

    def scope(self, queryset):
        return selectors.with_links(queryset)

    def figures(self) -> bool:
        return sees_usage(self.request.user)

    def require_figures(self) -> None:
        if not self.figures():
            self.permission_denied(self.request, message=_("使用情况仅对机关工作人员开放。"))

    def period(self) -> Period:
        if not hasattr(self, "_period"):
            form = PeriodForm(self.request.query_params)
            if not form.is_valid():
                raise ValidationError(
                    {name: [str(e) for e in errors] for name, errors in form.errors.items()}
                )
            self._period = form.cleaned_data["period"]
        return self._period

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        context = self.get_serializer_context()
        if self.figures():
            context |= {"usage": _usage_of(page, self.period()), "period": self.period()}
        return self.get_paginated_response(self.get_serializer_class()(page, many=True, context=context).data)

    def retrieve(self, request, *args, **kwargs):
        power = self.get_object()
        context = self.get_serializer_context()
        if self.figures():
            period = self.period()
            by_item = item_usage(power.item_codes, period)
            context |= {
                "usage": {power.pk: merged(power.item_codes, by_item)},
                "period": period,
                "by_item": by_item,
            }
        return Response(DevolvedPowerDetailSerializer(power, context=context).data)

    @extend_schema(
        responses=PowerSummarySerializer,
        filters=False,
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATE, description="First day of the period"),
            OpenApiParameter("until", OpenApiTypes.DATE, description="Last day of the period"),
        ],
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def summary(self, request):
        """How many powers are in force, linked and in use, by department and kind, with the fastest and
        slowest (civil servants; `since`/`until` set the period, default the last twelve months)."""
        self.require_figures()
        period = self.period()
        result = summary(self.get_queryset().order_by("position", "code"), period, dict(PowerKind.choices))

        def group(row):
            return {
                "key": row.key,
                "label": row.label,
                "powers": row.powers,
                "in_force": row.in_force,
                "linked": row.linked,
                "in_use": row.in_use,
                "usage": usage_data(row.usage, period),
            }

        def ranked(pairs):
            return [
                {
                    "id": power.pk,
                    "code": power.code,
                    "name": power.display_name,
                    "department": power.department.code,
                    "usage": usage_data(usage, period),
                }
                for power, usage in pairs
            ]

        data = {
            "since": period.since,
            "until": period.until,
            "total": group(result.total),
            "departments": [group(row) for row in result.departments],
            "kinds": [group(row) for row in result.kinds],
            "fastest": ranked(result.fastest),
            "slowest": ranked(result.slowest),
        }
        return Response(PowerSummarySerializer(data).data)


routes = [("devolved-powers", DevolvedPowerViewSet, "devolved-power")]
