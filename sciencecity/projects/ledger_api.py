"""The project ledger (项目台账) in Excel through the API: the projects of the list, with the same scope and
filters, as a workbook (`GET projects/ledger.xlsx`, or `projects/ledger/`); a ledger uploaded for import
(`POST ledger-imports/`: 202, imported in the background) and each import's progress and per-row errors
(`GET ledger-imports/{id}/`), seen by its uploader and administrators. The work is `ledger`'s."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from sciencecity.api.idempotency import idempotent
from sciencecity.api.views import ScopedViewSet

from . import ledger
from .api import ProjectFilter
from .models import LedgerImport, Project


class XlsxRenderer(JSONRenderer):
    """Lets the workbook be asked for as `.xlsx` or with its media type; errors still come as problem JSON."""

    media_type = ledger.XLSX
    format = "xlsx"


class ProjectLedgerViewSet(ScopedViewSet):
    model = Project
    filterset_class = ProjectFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]
    renderer_classes = [JSONRenderer, XlsxRenderer]
    pagination_class = None

    @extend_schema(
        operation_id="projects_ledger",
        parameters=[OpenApiParameter("format", exclude=True)],  # the answer is a workbook whatever it says
        responses={
            (200, ledger.XLSX): OpenApiResponse(
                OpenApiTypes.BINARY, description="The ledger: one row per project, with its plan of this year"
            )
        },
    )
    def list(self, request, *args, **kwargs):
        """The projects of the list (same scope, filters and order) as an Excel workbook, streamed."""
        return ledger.export_response(self.filter_queryset(self.get_queryset()))


class RowErrorSerializer(serializers.Serializer):
    sheet = serializers.CharField(help_text="The sheet's title; empty for the file as a whole")
    row = serializers.IntegerField(allow_null=True, help_text="The row's number in Excel (1: the header)")
    column = serializers.CharField(help_text="The column's header; empty for the row as a whole")
    message = serializers.CharField(help_text="What is wrong, in the uploader's language")


class LedgerImportSerializer(serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)
    errors = RowErrorSerializer(many=True, read_only=True)

    class Meta:
        model = LedgerImport
        fields = [
            "id",
            "uploaded_by",
            "uploaded_at",
            "original_name",
            "status",
            "total_rows",
            "processed_rows",
            "progress_percent",
            "created",
            "updated",
            "errors",
            "finished_at",
        ]
        read_only_fields = fields


class NewLedgerImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="The ledger (.xlsx): sheets 项目, 年度投资计划, 项目月报 (see the template)"
    )


class LedgerImportViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Ledger imports: uploaded, checked and written in the background, all or nothing."""

    model = LedgerImport
    serializer_class = LedgerImportSerializer
    ordering_fields = ["uploaded_at", "id"]
    ordering = ["-uploaded_at", "-id"]
    parser_classes = [MultiPartParser, FormParser]
    lookup_value_regex = r"[0-9]+"

    @extend_schema(
        request={"multipart/form-data": NewLedgerImportSerializer},
        responses={202: LedgerImportSerializer},
    )
    @idempotent
    def create(self, request):
        """Upload a ledger: it is imported in the background; follow its progress at its own address."""
        data = NewLedgerImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ledger_import = ledger.upload_ledger(request.user, data.validated_data["file"])
        return Response(self.get_serializer(ledger_import).data, status=status.HTTP_202_ACCEPTED)


# Before the projects' routes: `projects/ledger/` would otherwise be read as the project with the id "ledger".
routes = [
    ("projects/ledger", ProjectLedgerViewSet, "project-ledger"),
    ("ledger-imports", LedgerImportViewSet, "ledger-import"),
]
