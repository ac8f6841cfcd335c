"""Certificates and reports in the API (notifications: `sciencecity.notifications.api`).

- Certificates (电子证照) in the caller's scope (`Certificate.objects.for_user`: the holder enterprise's
  applicants, the issuing department, the window and leaders), their PDF (rendered on first download, as the
  download page does) and the administrator's revocation (`services.certificates.revoke_certificate`).
  Public verification needs no login and answers exactly what the /verify/ page shows: the certificate's
  validity and public facts, never a person, a phone number or a file.
- Reports: the reform metrics of one bundle (`services.reform.reform_report`) and the leaders' overview
  (`dashboard`), for those who may open the leaders' pages (leaders, supervisors, administrators).
"""

from django.http import Http404
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from sciencecity.accounts.scoping import sees_everything
from sciencecity.api.filters import IdFilter
from sciencecity.api.views import ScopedViewSet
from sciencecity.catalog.models import Bundle, CatalogVersion
from sciencecity.i18n import in_language
from sciencecity.workdays import clock

from .. import dashboard, selectors
from ..models import Application, Certificate
from ..notifications import NumberedApplicationSerializer
from ..pdf import certificate_pdf_response, verification_url
from ..services.certificates import licence_permits_prefetch, revoke_certificate
from ..services.reform import reform_report
from .application_serializers import ApplicationEnterpriseSerializer, ApplicationProjectSerializer

# --- certificates ------------------------------------------------------------------------------------------


class CodeNameSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class PermitSerializer(serializers.Serializer):
    """A permit an industry licence stands for (一业一证): the item granted, and its own certificate if any."""

    item = serializers.CharField(source="item.code", help_text="The item's code")
    name = serializers.SerializerMethodField(
        help_text="The permit's name (the item's certificate or the item)"
    )
    on_pledge = serializers.BooleanField()
    certificate = serializers.CharField(
        source="certificate.number", allow_null=True, help_text="Its own certificate's number; null: none"
    )
    certificate_status = serializers.CharField(source="certificate.status", allow_null=True)

    def get_name(self, permit) -> str:
        item = permit.item
        if item.certificate_name:
            return in_language(item.certificate_name, item.certificate_name_en)
        return item.display_name


class CertificateSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    item = serializers.CharField(
        source="task.item.code",
        read_only=True,
        allow_null=True,
        help_text="The approved item's code; null for an industry licence",
    )
    permits = PermitSerializer(
        many=True,
        read_only=True,
        help_text="An industry licence (一业一证): the permits it stands for; empty for an item's certificate",
    )
    application = NumberedApplicationSerializer(read_only=True)
    enterprise = ApplicationEnterpriseSerializer(read_only=True)
    project = ApplicationProjectSerializer(read_only=True)
    department = CodeNameSerializer(read_only=True)
    verification_url = serializers.SerializerMethodField(help_text="The public page its QR code opens")

    class Meta:
        model = Certificate
        fields = [
            "id",
            "number",
            "certificate_code",
            "kind",
            "kind_display",
            "name",
            "name_en",
            "status",
            "status_display",
            "on_pledge",
            "issued_at",
            "valid_until",
            "item",
            "permits",
            "application",
            "enterprise",
            "project",
            "department",
            "verification_code",
            "verification_url",
        ]
        read_only_fields = fields

    def get_verification_url(self, certificate) -> str:
        return verification_url(certificate)


class VerifiedCertificateSerializer(serializers.Serializer):
    """What anyone may learn of a certificate from its verification code (the /verify/ page's facts)."""

    is_valid = serializers.BooleanField()
    status = serializers.ChoiceField(choices=Certificate.Status.choices)
    status_display = serializers.CharField(source="get_status_display")
    name = serializers.CharField()
    number = serializers.CharField()
    department = serializers.CharField(source="department.display_name", help_text="The issuing department")
    issued_at = serializers.DateTimeField()
    valid_until = serializers.DateField(allow_null=True, help_text="null: valid without limit")
    on_pledge = serializers.BooleanField()
    enterprise = serializers.CharField(source="enterprise.name", help_text="The holder")
    project = serializers.CharField(source="project.name")
    kind = serializers.ChoiceField(choices=Certificate.Kind.choices)
    permits = PermitSerializer(
        many=True, source="shown_permits", help_text="An industry licence: the permits it stands for"
    )


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the certificate is revoked")


class PdfRenderer(JSONRenderer):
    """Lets the PDF be asked for with `Accept: application/pdf`; errors still come as problem JSON."""

    media_type = "application/pdf"


class CertificateFilter(filters.FilterSet):
    application = IdFilter(field_name="application_id", help_text="Application id")
    project = IdFilter(field_name="project_id", help_text="Project id")
    status = filters.ChoiceFilter(choices=Certificate.Status.choices)
    certificate_code = filters.CharFilter(help_text="The certificate type's code")
    kind = filters.ChoiceFilter(
        choices=Certificate.Kind.choices, help_text="item, or industry_licence (一业一证)"
    )

    class Meta:
        model = Certificate
        fields = ["application", "project", "status", "certificate_code", "kind"]


VERIFICATION_CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The verification code printed on it"
)


def _public(response):
    """As the public verification page: never indexed, never sent on as a referrer, never cached."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    add_never_cache_headers(response)  # a revocation shows at once
    return response


class CertificateViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Certificates in the caller's scope, newest first; their PDF; revocation; public verification."""

    model = Certificate
    serializer_class = CertificateSerializer
    filterset_class = CertificateFilter
    ordering_fields = ["issued_at", "id"]
    ordering = ["-issued_at", "-id"]
    lookup_value_regex = r"[0-9]+"

    def scope(self, queryset):
        return queryset.select_related(
            "application", "enterprise", "project", "department", "task__item"
        ).prefetch_related(licence_permits_prefetch())

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The certificate")
        }
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PdfRenderer])
    def pdf(self, request, pk=None):
        """The certificate as a PDF, rendered now if the background task has not stored it yet."""
        certificate = self.get_object()
        return certificate_pdf_response(certificate)

    @extend_schema(request=RevokeSerializer, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Revoke a valid certificate with a reason (administrators); its verification then says so."""
        certificate = self.get_object()
        data = RevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        revoke_certificate(request.user, certificate, data.validated_data["reason"])
        return Response(self.get_serializer(self.get_queryset().get(pk=certificate.pk)).data)

    @extend_schema(
        parameters=[
            VERIFICATION_CODE,
            OpenApiParameter(
                "number",
                str,
                description="the certificate number: with it, `code` may be the 8-symbol check code printed "
                "beside the number (ABCD-EFGH) instead of the long verification code",
            ),
        ],
        responses=VerifiedCertificateSerializer,
    )
    @action(
        detail=False,
        methods=["get"],
        url_path=r"verify/(?P<code>[^/]+)",
        permission_classes=[AllowAny],
        filter_backends=[],
        pagination_class=None,
    )
    def verify(self, request, code=None):
        """Public verification (no login): whether the certificate with this code (or this number and check
        code) is valid, and its public facts; an unknown code is a 404."""
        certificate = selectors.find_certificate(code, request.query_params.get("number", "")[:40])
        if certificate is None:
            raise Http404(_("没有找到该核验码对应的证照。"))
        certificate.is_valid = certificate.status == Certificate.Status.VALID
        certificate.shown_permits = selectors.permits_of(certificate)
        return _public(Response(VerifiedCertificateSerializer(certificate).data))


# --- reports ------------------------------------------------------------------------------------------------


class ReadsTheWholeZone(BasePermission):
    """As the leaders' pages: `approvals.view_application` and a zone-wide role (leader, supervisor,
    administrator)."""

    message = gettext_lazy("只有领导、纪检监督人员和系统管理员可以查看统计报表。")

    def has_permission(self, request, view):
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and user.has_perm("approvals.view_application")
            and sees_everything(user)
        )


def pct_field(**kwargs):
    return serializers.DecimalField(
        max_digits=7, decimal_places=1, coerce_to_string=False, allow_null=True, **kwargs
    )


class WaySerializer(serializers.Serializer):
    steps = serializers.IntegerField()
    materials = serializers.IntegerField()
    days = serializers.IntegerField(help_text="Promised working days")


class ScenarioItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    mandatory = serializers.BooleanField()


class ScenarioSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="mandatory, all or answers")
    label = serializers.CharField()
    items = ScenarioItemSerializer(many=True)
    separately = WaySerializer(help_text="Each item applied for separately")
    bundled = WaySerializer(help_text="The bundle (一件事)")
    steps_saved = serializers.IntegerField()
    materials_reduction_pct = pct_field()
    time_reduction_pct = pct_field()
    distinct_materials = serializers.IntegerField()
    held_materials = serializers.IntegerField(help_text="Of the distinct materials, those the platform holds")
    bundle_promised_days = serializers.IntegerField()
    legal_days = serializers.IntegerField()


class ItemActualsSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    promised_days = serializers.IntegerField()
    legal_days = serializers.IntegerField(allow_null=True)
    decided = serializers.IntegerField()
    median_days = serializers.FloatField(allow_null=True)
    within_promised_pct = pct_field()


class ActualsSerializer(serializers.Serializer):
    applications = serializers.IntegerField(help_text="Submitted (drafts excluded)")
    concluded = serializers.IntegerField()
    median_elapsed_days = serializers.FloatField(allow_null=True)
    promised_limit_days = serializers.IntegerField()
    median_legal_limit_days = serializers.FloatField(allow_null=True)
    within_promised_pct = pct_field()
    within_legal_pct = pct_field()
    items = ItemActualsSerializer(many=True)


class ReferenceSerializer(serializers.Serializer):
    steps_saved = serializers.IntegerField()
    materials_reduction_pct = serializers.IntegerField()
    time_reduction_pct = serializers.IntegerField()


class ReportBundleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    version = serializers.IntegerField(source="version.number")


class MergedItemFactsSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    steps = serializers.IntegerField(source="step_count")
    materials = serializers.IntegerField(source="required_material_count")
    promised_days = serializers.IntegerField()
    legal_days = serializers.IntegerField(allow_null=True)


class MergedActualsSerializer(serializers.Serializer):
    decided = serializers.IntegerField(help_text="Decided tasks of the merged item")
    median_days = serializers.FloatField(allow_null=True)
    within_promised_pct = pct_field()


class MergedComparisonSerializer(serializers.Serializer):
    """A merged review (三评合一): the separate reviews it replaces against its one review."""

    item = MergedItemFactsSerializer()
    replaced = MergedItemFactsSerializer(many=True)
    separately = WaySerializer(help_text="The replaced items, each applied for separately")
    merged = WaySerializer(help_text="The merged item's one review")
    steps_saved = serializers.IntegerField()
    materials_reduction_pct = pct_field()
    time_reduction_pct = pct_field()
    distinct_materials = serializers.IntegerField(help_text="The replaced items' materials without repeats")
    legal_days_separately = serializers.IntegerField()
    legal_days_merged = serializers.IntegerField()
    actuals = MergedActualsSerializer(allow_null=True)


class ReformReportSerializer(serializers.Serializer):
    bundle = ReportBundleSerializer()
    scenarios = ScenarioSerializer(many=True)
    actuals = ActualsSerializer()
    reference = ReferenceSerializer()
    merged_items = MergedComparisonSerializer(
        many=True, help_text="三评合一: the merged reviews among the bundle's items"
    )


class ReformQuerySerializer(serializers.Serializer):
    bundle = serializers.SlugField(max_length=60, help_text="The bundle's code")
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="Catalog version number (default: the one in force)"
    )


class StatusCountSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Application.Status.choices)
    label = serializers.CharField()
    count = serializers.IntegerField()


class BundleCountsSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="{status: count}")
    total = serializers.IntegerField()


class DepartmentLoadSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    escalated = serializers.IntegerField()


class ElapsedRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    concluded = serializers.IntegerField()
    average_days = pct_field()
    median_days = pct_field()
    promised_days = pct_field()
    within_promised_pct = pct_field()


class ElapsedSerializer(serializers.Serializer):
    since = serializers.DateField()
    window_days = serializers.IntegerField()
    unknown_year = serializers.IntegerField(
        allow_null=True, help_text="The calendar does not know this year: the figures are left out"
    )
    total = ElapsedRowSerializer()
    bundles = ElapsedRowSerializer(many=True)


class ReformFigureSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["bundle", "merged_item"],
        help_text="bundle: separately vs the bundle; merged_item: the replaced reviews vs the merged one",
    )
    separately_label = serializers.CharField()
    bundled_label = serializers.CharField()
    bundle = serializers.CharField(help_text="The bundle's, or the merged item's, name")
    code = serializers.CharField()
    scenario = serializers.CharField()
    key = serializers.CharField()
    separately = WaySerializer()
    bundled = WaySerializer()
    steps_saved = serializers.IntegerField()
    materials_reduction_pct = pct_field()
    time_reduction_pct = pct_field()


class OverviewSerializer(serializers.Serializer):
    today = serializers.DateField()
    applications_by_status = StatusCountSerializer(many=True)
    applications_by_bundle = BundleCountsSerializer(many=True, help_text="Drafts excluded")
    tasks_by_department = DepartmentLoadSerializer(many=True)
    elapsed = ElapsedSerializer(help_text="Working days from submission to conclusion, last 365 days")
    reform = ReformFigureSerializer(many=True, help_text="The catalog comparison of each bundle in force")
    reference = ReferenceSerializer()


def _report_bundle(version_number, code) -> Bundle:
    """The bundle `code` of the catalog version asked for (published), or of the one in force; 404 else."""
    if version_number is None:
        version = CatalogVersion.objects.effective_on(clock.today())
        if version is None:
            raise Http404(_("当前没有生效的事项目录。"))
    else:
        version = CatalogVersion.objects.filter(
            number=version_number, status=CatalogVersion.Status.PUBLISHED
        ).first()
        if version is None:
            raise Http404(_("没有已发布的第 %(number)s 版事项目录。") % {"number": version_number})
    bundle = Bundle.objects.filter(version=version, code=code).select_related("version").first()
    if bundle is None:
        raise Http404(_("该目录版本中没有编码为“%(code)s”的一件事。") % {"code": code})
    return bundle


class ReportViewSet(viewsets.ViewSet):
    """Figures for leaders, supervisors and administrators (403 for everyone else)."""

    permission_classes = [ReadsTheWholeZone]

    @extend_schema(parameters=[ReformQuerySerializer], responses=ReformReportSerializer)
    @action(detail=False, methods=["get"])
    def reform(self, request):
        """Reform metrics of one bundle (改革成效): separately vs bundled from the catalog (mandatory and all
        items), and the figures of its real applications."""
        query = ReformQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        bundle = _report_bundle(query.validated_data.get("version"), query.validated_data["bundle"])
        report = reform_report(bundle)
        data = {
            "bundle": bundle,
            "scenarios": [
                {
                    "key": scenario.key,
                    "label": str(scenario.label),
                    "items": scenario.items,
                    "separately": scenario.separately,
                    "bundled": scenario.bundled,
                    "steps_saved": scenario.steps_saved,
                    "materials_reduction_pct": scenario.materials_reduction_pct,
                    "time_reduction_pct": scenario.time_reduction_pct,
                    "distinct_materials": scenario.distinct_materials,
                    "held_materials": scenario.held_materials,
                    "bundle_promised_days": scenario.bundle_promised_days,
                    "legal_days": scenario.legal_days,
                }
                for scenario in report.scenarios
            ],
            "actuals": report.actuals,
            "reference": report.reference,
            "merged_items": report.merged_items,
        }
        return Response(ReformReportSerializer(data).data)

    @extend_schema(responses=OverviewSerializer)
    @action(detail=False, methods=["get"])
    def overview(self, request):
        """The leaders' overview (领导驾驶舱) as figures: applications by status and by bundle, open, overdue and
        escalated tasks by department, working days elapsed, and the catalog's reform comparison."""
        today = clock.today()
        _statuses, by_bundle = dashboard.applications_by_bundle()
        data = {
            "today": today,
            "applications_by_status": dashboard.applications_by_status(),
            "applications_by_bundle": by_bundle,
            "tasks_by_department": dashboard.tasks_by_department(today),
            "elapsed": dashboard.elapsed_working_days(today),
            "reform": dashboard.reform_figures(today),
            "reference": dashboard.reference_figures(),
        }
        return Response(OverviewSerializer(data).data)


routes = [
    ("certificates", CertificateViewSet, "certificate"),
    ("reports", ReportViewSet, "report"),
]
