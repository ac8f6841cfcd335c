"""What every API view shares: one scope (ARCHITECTURE.md rule 5) and the caller's own data.

Every resource's viewset derives from `ScopedViewSet`: its rows come from `Model.objects.for_user(user)`,
so a record outside the caller's scope answers 404 exactly as on the pages, and writes go through the
service functions of the record's app, which check permissions and transitions again.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.validators import UniqueValidator
from rest_framework.views import APIView

from . import services
from .idempotency import idempotent
from .models import ApiToken


class ScopedViewSet(viewsets.GenericViewSet):
    """Rows of `model` the caller may see; `scope()` narrows or joins (select_related) further."""

    model = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # Building the schema (also by `check --deploy`) needs the model, not rows: no database query.
            return self.model.objects.none()
        return self.scope(self.model.objects.for_user(self.request.user))

    def scope(self, queryset):
        return queryset


def without_unique_check(field):
    """The field's validators less the uniqueness query: the service checks it with a clearer message."""
    field.validators = [v for v in field.validators if not isinstance(v, UniqueValidator)]
    return field


class RoleSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    department = serializers.IntegerField(allow_null=True, source="department_id")
    enterprise = serializers.IntegerField(allow_null=True, source="enterprise_id")


class MeView(APIView):
    """Who the caller is: roles, department or enterprise."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        data = {
            "id": user.pk,
            "username": user.get_username(),
            "name": str(user),
            "roles": sorted(user.role_codes()),
            "department_id": user.department_id,
            "enterprise_id": user.enterprise_id,
        }
        return Response(MeSerializer(data).data)


class ApiTokenSerializer(serializers.ModelSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "hint", "user", "created_at", "last_used_at", "revoked_at", "is_active"]
        read_only_fields = fields


class NewTokenSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="What the token is for.")


class CreatedTokenSerializer(ApiTokenSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown only in this answer; store it safely.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class ApiTokenViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The caller's own API tokens (administrators: everyone's). The secret is shown once, at creation."""

    model = ApiToken
    serializer_class = ApiTokenSerializer
    filterset_fields = ["user"]
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    @extend_schema(request=NewTokenSerializer, responses={201: CreatedTokenSerializer})
    @idempotent
    def create(self, request):
        data = NewTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, secret = services.create_token(request.user, data.validated_data["name"])
        body = CreatedTokenSerializer(token).data | {"secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ApiTokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = services.revoke_token(request.user, self.get_object())
        return Response(ApiTokenSerializer(token).data)


class UnknownAddressView(APIView):
    """Any address under /api/v1/ that names no resource: a problem-details 404 whatever the method (in
    debug mode too), never Django's HTML page. It defines no handler, so it is no endpoint of the schema."""

    permission_classes = [AllowAny]
    schema = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise exceptions.NotFound(_("接口地址不存在。"))
