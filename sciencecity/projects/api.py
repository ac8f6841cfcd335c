"""Projects (科产项目): registered by their enterprise or by the zone; phase changes only forward."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from sciencecity.api.idempotency import idempotent
from sciencecity.api.views import ScopedViewSet, without_unique_check
from sciencecity.enterprises.models import Enterprise

from . import services
from .models import Project

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
]


class ProjectSerializer(serializers.ModelSerializer):
    enterprise = serializers.PrimaryKeyRelatedField(
        queryset=Enterprise.objects.all(),
        required=False,
        help_text="The enterprise building it; an applicant's own enterprise when left out.",
    )

    class Meta:
        model = Project
        fields = ["id", *FIELDS, "created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only enterprises the caller may see can be named; anything else is "does not exist".
            self.fields["enterprise"].queryset = Enterprise.objects.for_user(request.user)
        without_unique_check(self.fields["code"])


class ProjectUpdateSerializer(ProjectSerializer):
    class Meta(ProjectSerializer.Meta):
        read_only_fields = ["phase"]


class PhaseSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=Project.Phase.choices)


class ProjectViewSet(
    ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin
):
    model = Project
    serializer_class = ProjectSerializer
    filterset_fields = ["enterprise", "phase", "is_key", "code", "investment_type"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

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
        """Move the project forward to a later phase (never backwards)."""
        project = self.get_object()
        data = PhaseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = services.change_project_phase(request.user, project, data.validated_data["phase"])
        return Response(self.get_serializer(project).data)


routes = [("projects", ProjectViewSet, "project")]
