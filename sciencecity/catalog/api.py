"""The catalog, read-only: versions, materials, items and bundles, and the bundle guide (情形引导).

Published versions are public (the guide needs no login, as on the public pages); drafts are visible to
those who edit the catalog. Nothing here writes: the catalog is edited in the admin or imported as YAML.
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from sciencecity.api.views import ScopedViewSet
from sciencecity.approvals import selectors

from .models import Bundle, CatalogVersion, FormField, FormRule, MaterialSpec, ServiceItem, SituationQuestion


class VersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CatalogVersion
        fields = ["id", "number", "label", "status", "valid_from", "valid_to", "note", "published_at"]


class MaterialSerializer(serializers.ModelSerializer):
    class Meta:
        model = MaterialSpec
        fields = [
            "id",
            "version",
            "code",
            "name",
            "name_en",
            "description",
            "formats",
            "max_size_mb",
            "source",
        ]


class ItemSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    replaces = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        read_only=True,
        help_text="A merged review (三评合一): the codes of the separate items its one review replaces",
    )

    class Meta:
        model = ServiceItem
        fields = [
            "id",
            "version",
            "code",
            "name",
            "name_en",
            "department",
            "stage",
            "line",
            "kind",
            "legal_limit_days",
            "promised_limit_days",
            "pledge_allowed",
            "certificate_name",
            "description",
            "replaces",
        ]


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SituationQuestion
        fields = ["code", "text", "text_en", "help_text", "kind", "options", "position"]


class FormFieldSerializer(serializers.ModelSerializer):
    items = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = FormField
        fields = [
            "code",
            "label",
            "label_en",
            "kind",
            "required",
            "choices",
            "prefill",
            "min_value",
            "max_value",
            "position",
            "items",
        ]


class BundleItemSerializer(serializers.Serializer):
    item = serializers.CharField(source="item.code")
    mandatory = serializers.BooleanField()
    position = serializers.IntegerField()


class BundleSerializer(serializers.ModelSerializer):
    lead_department = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Bundle
        fields = [
            "id",
            "version",
            "code",
            "name",
            "name_en",
            "description",
            "licence_code",
            "licence_name",
            "licence_name_en",
            "lead_department",
            "promised_limit_days",
            "intake_limit_days",
            "target_date_label",
            "target_date_label_en",
        ]


class FormRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = FormRule
        fields = ["field", "operator", "other", "message", "message_en"]


class BundleDetailSerializer(BundleSerializer):
    items = BundleItemSerializer(source="bundle_items", many=True, read_only=True)
    questions = QuestionSerializer(many=True, read_only=True)
    form_fields = FormFieldSerializer(many=True, read_only=True)
    form_rules = FormRuleSerializer(many=True, read_only=True)

    class Meta(BundleSerializer.Meta):
        fields = [*BundleSerializer.Meta.fields, "items", "questions", "form_fields", "form_rules"]


class GuideRequestSerializer(serializers.Serializer):
    answers = serializers.DictField(
        required=False,
        default=dict,
        help_text='{question code: "yes"/"no", an option value, or a list of values}',
    )


class NoticeEntrySerializer(serializers.Serializer):
    """One material of the complete notice (一次告知): which items need it and how it can be provided."""

    code = serializers.CharField()
    name = serializers.CharField(source="spec.display_name")
    items = serializers.SerializerMethodField()
    required = serializers.BooleanField()
    gap_tolerated = serializers.BooleanField()
    pledge_allowed = serializers.BooleanField()
    held_how = serializers.CharField(
        help_text="enterprise, project or certificate when the platform holds it"
    )
    held_value = serializers.CharField()
    produced_by = serializers.CharField(source="produced_by.code", allow_null=True, default=None)
    needs_submission = serializers.BooleanField()

    def get_items(self, entry) -> list[str]:
        return [item.code for item in entry.items]


class GuideSerializer(serializers.Serializer):
    items = ItemSerializer(many=True)
    notice = NoticeEntrySerializer(many=True)


class VersionViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Catalog versions: published ones for everyone, drafts for catalog editors."""

    model = CatalogVersion
    serializer_class = VersionSerializer
    permission_classes = [AllowAny]
    filterset_fields = ["status"]
    ordering_fields = ["number"]
    ordering = ["-number"]


class MaterialViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    model = MaterialSpec
    serializer_class = MaterialSerializer
    permission_classes = [AllowAny]
    filterset_fields = ["version", "code", "source"]
    ordering_fields = ["code", "id"]
    ordering = ["id"]


class ItemFilter(filters.FilterSet):
    department = filters.CharFilter(field_name="department__code")

    class Meta:
        model = ServiceItem
        fields = ["version", "code", "department", "stage", "line", "kind", "pledge_allowed"]


class ItemViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    model = ServiceItem
    serializer_class = ItemSerializer
    permission_classes = [AllowAny]
    filterset_class = ItemFilter
    ordering_fields = ["code", "promised_limit_days", "id"]
    ordering = ["id"]

    def scope(self, queryset):
        return queryset.select_related("department").prefetch_related("replaces")


class BundleViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Bundles (一件事) with their items, situation questions and merged-form fields; and the guide."""

    model = Bundle
    permission_classes = [AllowAny]
    filterset_fields = ["version", "code"]
    ordering_fields = ["code", "id"]
    ordering = ["id"]

    def get_serializer_class(self):
        return BundleSerializer if self.action == "list" else BundleDetailSerializer

    def scope(self, queryset):
        queryset = queryset.select_related("lead_department")
        if self.action != "list":
            queryset = queryset.prefetch_related(
                "bundle_items__item", "questions", "form_fields__items", "form_rules"
            )
        return queryset

    @extend_schema(request=GuideRequestSerializer, responses=GuideSerializer)
    @action(detail=True, methods=["post"])
    def guide(self, request, pk=None):
        """The items and the one complete checklist of materials for the answers given (no login needed).

        Unanswered questions leave their situational items out; an unknown question or value is a 400."""
        bundle = self.get_object()
        data = GuideRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answers = selectors.normalize_answers(bundle, data.validated_data["answers"], complete=False)
        items = selectors.selected_items(bundle, answers, complete=False)
        notice = selectors.material_notice(bundle, items, None, None)
        return Response(GuideSerializer({"items": items, "notice": notice}).data)


routes = [
    ("catalog/versions", VersionViewSet, "catalog-version"),
    ("catalog/materials", MaterialViewSet, "catalog-material"),
    ("catalog/items", ItemViewSet, "catalog-item"),
    ("catalog/bundles", BundleViewSet, "catalog-bundle"),
]
