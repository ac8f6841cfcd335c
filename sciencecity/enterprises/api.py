"""Enterprises: applicants read their own, civil servants the zone's; registering and editing go through
the services, which check who may."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from sciencecity.api.idempotency import idempotent
from sciencecity.api.views import ScopedViewSet, without_unique_check

from . import profile as file_services
from . import services
from .models import Enterprise, EnterpriseYear, InnovationPlatform, Qualification

FIELDS = sorted(services.ENTERPRISE_FIELDS)


class EnterpriseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enterprise
        fields = [
            "id",
            *FIELDS,
            *file_services.PROFILE_FIELDS,
            "status",
            "profile_updated_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            *(set(file_services.PROFILE_FIELDS) - set(FIELDS)),
            "status",
            "profile_updated_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        without_unique_check(self.fields["credit_code"])


class EnterpriseFilter(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="startswith", help_text="Name begins with")

    class Meta:
        model = Enterprise
        fields = ["credit_code", "name", "is_high_tech", "is_tech_based"]


class ProfileSerializer(serializers.ModelSerializer):
    """What the enterprise keeps up to date in its file (all optional; those sent are changed)."""

    class Meta:
        model = Enterprise
        fields = list(file_services.PROFILE_FIELDS)
        extra_kwargs = {name: {"required": False} for name in file_services.PROFILE_FIELDS}


class EnterpriseYearSerializer(serializers.ModelSerializer):
    rd_ratio = serializers.DecimalField(max_digits=8, decimal_places=4, read_only=True, allow_null=True)

    class Meta:
        model = EnterpriseYear
        fields = ["year", "revenue", "rd_spending", "taxes", "rd_ratio", "recorded_at"]
        read_only_fields = ["recorded_at"]


class QualificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Qualification
        fields = ["id", "kind", "certificate_number", "valid_from", "valid_until", "recorded_at"]
        read_only_fields = ["recorded_at"]


class EnterpriseViewSet(
    ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin
):
    model = Enterprise
    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilter
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    @idempotent
    def create(self, request):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        enterprise = services.register_enterprise(request.user, **data.validated_data)
        return Response(self.get_serializer(enterprise).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EnterpriseSerializer(partial=True))
    def partial_update(self, request, pk=None):
        enterprise = self.get_object()
        data = self.get_serializer(enterprise, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        enterprise = services.update_enterprise(request.user, enterprise, **data.validated_data)
        return Response(self.get_serializer(enterprise).data)

    @extend_schema(request=ProfileSerializer, responses=EnterpriseSerializer)
    @action(detail=True, methods=["patch"])
    def profile(self, request, pk=None):
        """Change what the enterprise keeps in its file (its own people, or administrators)."""
        enterprise = self.get_object()
        data = ProfileSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        enterprise = file_services.update_profile(request.user, enterprise, **data.validated_data)
        return Response(EnterpriseSerializer(enterprise).data)

    @extend_schema(methods=["get"], responses=EnterpriseYearSerializer(many=True))
    @extend_schema(methods=["post"], request=EnterpriseYearSerializer, responses=EnterpriseYearSerializer)
    @action(detail=True, methods=["get", "post"])
    def years(self, request, pk=None):
        """The yearly figures, newest first; POST records one year, or corrects it when it is on record."""
        enterprise = self.get_object()
        if request.method == "GET":
            return Response(EnterpriseYearSerializer(enterprise.years.order_by("-year"), many=True).data)
        data = EnterpriseYearSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        row = file_services.set_year(request.user, enterprise, fields.pop("year"), **fields)
        return Response(EnterpriseYearSerializer(row).data)

    @extend_schema(methods=["get"], responses=QualificationSerializer(many=True))
    @extend_schema(
        methods=["post"], request=QualificationSerializer, responses={201: QualificationSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def qualifications(self, request, pk=None):
        """The qualifications on record; administrators record a new one."""
        enterprise = self.get_object()
        if request.method == "GET":
            return Response(QualificationSerializer(enterprise.qualifications.all(), many=True).data)
        data = QualificationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        row = file_services.add_qualification(request.user, enterprise, fields.pop("kind"), **fields)
        return Response(QualificationSerializer(row).data, status=status.HTTP_201_CREATED)


class PlatformSerializer(serializers.ModelSerializer):
    enterprise = serializers.PrimaryKeyRelatedField(
        queryset=Enterprise.objects.all(), required=False, allow_null=True, help_text="The host enterprise"
    )

    class Meta:
        model = InnovationPlatform
        fields = ["id", "name", "kind", "level", "enterprise", "institution", "recognized_on", "valid_until"]


class PlatformFilter(filters.FilterSet):
    class Meta:
        model = InnovationPlatform
        fields = ["kind", "level", "enterprise"]


class PlatformViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The zone's innovation platforms (public to everyone signed in); administrators register them."""

    model = InnovationPlatform
    serializer_class = PlatformSerializer
    filterset_class = PlatformFilter
    ordering_fields = ["name", "id"]
    ordering = ["level", "name", "id"]

    @idempotent
    def create(self, request):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        platform = file_services.register_platform(request.user, **data.validated_data)
        return Response(self.get_serializer(platform).data, status=status.HTTP_201_CREATED)


routes = [
    ("enterprises", EnterpriseViewSet, "enterprise"),
    ("innovation-platforms", PlatformViewSet, "innovation-platform"),
]
