"""Departments, read-only and public (which department handles what is public: the bundle guide names them),
so that programs can resolve the department codes other resources give."""

from rest_framework import mixins, serializers
from rest_framework.permissions import AllowAny

from sciencecity.api.views import ScopedViewSet

from .models import Department


class DepartmentSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "name_en", "kind", "kind_display", "is_active"]
        read_only_fields = fields


class DepartmentViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Active departments (zone-wide readers: inactive ones too), by code."""

    model = Department
    serializer_class = DepartmentSerializer
    permission_classes = [AllowAny]
    filterset_fields = ["code", "kind", "is_active"]
    ordering_fields = ["code", "id"]
    ordering = ["code", "id"]


routes = [("departments", DepartmentViewSet, "department")]
