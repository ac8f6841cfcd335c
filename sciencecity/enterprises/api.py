"""Enterprises: applicants read their own, civil servants the zone's; registering and editing go through
the services, which check who may."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from sciencecity.api.idempotency import idempotent
from sciencecity.api.views import ScopedViewSet, without_unique_check

from . import services
from .models import Enterprise

FIELDS = sorted(services.ENTERPRISE_FIELDS)


class EnterpriseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enterprise
        fields = ["id", *FIELDS, "created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        without_unique_check(self.fields["credit_code"])


class EnterpriseFilter(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="startswith", help_text="Name begins with")

    class Meta:
        model = Enterprise
        fields = ["credit_code", "name", "is_high_tech", "is_tech_based"]


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


routes = [("enterprises", EnterpriseViewSet, "enterprise")]
