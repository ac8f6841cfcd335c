"""Policies through the API: the policies (published ones for everyone signed in, drafts for their department's
keepers) with their conditions; writing a policy with its conditions (`save_policy`: clear errors per condition,
nothing saved); the facts a condition may name; the stored verdicts (an enterprise reads its own, civil servants
every enterprise's); 政策找企业 — the enterprises a policy finds, and notices to them."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from sciencecity.accounts.models import Department
from sciencecity.api.idempotency import idempotent
from sciencecity.api.pagination import CursorPage
from sciencecity.api.views import ScopedViewSet
from sciencecity.enterprises.facts import FACTS, OPERATORS
from sciencecity.enterprises.models import Chain, Enterprise, Size
from sciencecity.workdays import clock

from . import selectors
from .models import Claim, ClaimMaterial, Policy, PolicyMatch
from .services import claims, notices, policies


class ConditionSerializer(serializers.Serializer):
    fact = serializers.CharField(help_text="A fact of the enterprise file (see policy-facts/)")
    operator = serializers.CharField(help_text="One of the operators the fact's type allows")
    value = serializers.JSONField(
        help_text="A number, true/false, a choice's code, or a list of codes for `in`"
    )
    text = serializers.SerializerMethodField(help_text="The condition worded for people")

    def get_text(self, condition) -> str:
        return selectors.describe(condition)


class PolicySerializer(serializers.ModelSerializer):
    conditions = serializers.SerializerMethodField()

    class Meta:
        model = Policy
        fields = [
            "id",
            "code",
            *policies.FIELDS,
            "is_published",
            "conditions",
            "rule",
            "eligible_count",
            "unknown_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ConditionSerializer(many=True))
    def get_conditions(self, policy) -> list:
        return ConditionSerializer(policy.conditions.all(), many=True).data


class PolicyInputSerializer(serializers.ModelSerializer):
    """A policy to save: its guide's fields and all its conditions (they replace the ones it had)."""

    code = serializers.SlugField(max_length=40, help_text="Lower-case letters, digits and hyphens")
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    conditions = serializers.ListField(
        child=serializers.DictField(), max_length=20, help_text="Rows {fact, operator, value}"
    )
    publish = serializers.BooleanField(required=False, help_text="Publish (or withdraw) the policy")

    class Meta:
        model = Policy
        fields = ["code", *policies.FIELDS, "conditions", "publish"]

    def validate(self, data):
        return data  # the model's checks are the service's (`save_policy`)


class PolicyFilter(filters.FilterSet):
    class Meta:
        model = Policy
        fields = ["area", "is_published", "department"]


class FoundSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    credit_code = serializers.CharField(source="enterprise.credit_code", read_only=True)
    chain = serializers.CharField(source="enterprise.chain", read_only=True)
    size = serializers.CharField(source="enterprise.size", read_only=True)
    told = serializers.BooleanField(read_only=True, help_text="Whether the enterprise was sent a notice")

    class Meta:
        model = PolicyMatch
        fields = [
            "enterprise",
            "enterprise_name",
            "credit_code",
            "chain",
            "size",
            "verdict",
            "missing",
            "told",
        ]


# The verdicts 政策找企业 lists (named in the schema's ENUM_NAME_OVERRIDES).
FOUND_VERDICTS = [
    (PolicyMatch.Verdict.ELIGIBLE.value, "eligible"),
    (PolicyMatch.Verdict.UNKNOWN.value, "unknown"),
]


class FindQuerySerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=FOUND_VERDICTS, required=False)
    q = serializers.CharField(
        required=False, max_length=100, help_text="Name begins with, or the credit code"
    )
    chain = serializers.ChoiceField(choices=Chain.choices, required=False)
    size = serializers.ChoiceField(choices=Size.choices, required=False)
    told = serializers.ChoiceField(choices=["yes", "no"], required=False)


class NotifyInputSerializer(serializers.Serializer):
    enterprises = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        required=False,
        max_length=notices.MAX_PER_SEND,
        help_text="The enterprises to tell; without it, every eligible enterprise not told yet",
    )


class NotifiedSerializer(serializers.Serializer):
    told = serializers.IntegerField(help_text="How many enterprises were told now")


class PolicyViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The policies; their department's heads (and administrators) write them with their conditions."""

    model = Policy
    serializer_class = PolicySerializer
    filterset_class = PolicyFilter
    ordering = ["area", "code"]
    ordering_fields = ["area", "code", "id"]
    http_method_names = ["get", "post", "put", "head", "options"]

    def scope(self, queryset):
        return queryset.prefetch_related("conditions")

    def _save(self, request, code=None):
        """Save through `save_policy` what the body says; `code` is the policy's own when it is updated."""
        data = request.data.copy() if hasattr(request.data, "copy") else request.data
        if code is not None and isinstance(data, dict):
            data["code"] = code
        given = PolicyInputSerializer(data=data)
        given.is_valid(raise_exception=True)
        fields = dict(given.validated_data)
        saved = policies.save_policy(
            request.user,
            fields.pop("code"),
            conditions=fields.pop("conditions"),
            publish=fields.pop("publish", None),
            new=code is None,
            **fields,
        )
        return Policy.objects.prefetch_related("conditions").get(pk=saved.pk)

    @extend_schema(request=PolicyInputSerializer, responses={201: PolicySerializer})
    @idempotent
    def create(self, request):
        """A new policy (its code not used yet)."""
        return Response(self.get_serializer(self._save(request)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PolicyInputSerializer, responses=PolicySerializer)
    def update(self, request, pk=None):
        """Replace the policy's fields and conditions (its code stays)."""
        return Response(self.get_serializer(self._save(request, self.get_object().code)).data)

    @extend_schema(parameters=[FindQuerySerializer], responses=FoundSerializer(many=True))
    @action(detail=True, methods=["get"])
    def enterprises(self, request, pk=None):
        """政策找企业: the enterprises the policy finds (eligible by default; `verdict=unknown`: those whose file
        lacks what it asks), with whether each was told. An enterprise sees only itself here."""
        policy = self.get_object()
        query = FindQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters_ = query.validated_data
        rows = selectors.enterprises_found(
            policy, verdict=filters_.get("verdict", PolicyMatch.Verdict.ELIGIBLE), filters=filters_
        ) & PolicyMatch.objects.for_user(request.user)
        paginator = CursorPage()
        paginator.ordering = ("enterprise_id",)
        page = paginator.paginate_queryset(rows, request, view=None)
        return paginator.get_paginated_response(FoundSerializer(page, many=True).data)

    @extend_schema(request=NotifyInputSerializer, responses=NotifiedSerializer)
    @action(detail=True, methods=["post"])
    def notify(self, request, pk=None):
        """Tell the eligible enterprises (those named, or all) not told yet: the honouring department only."""
        policy = self.get_object()
        data = NotifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        told = notices.notify_enterprises(request.user, policy, data.validated_data.get("enterprises"))
        return Response({"told": told})


class MatchSerializer(serializers.ModelSerializer):
    failed_conditions = serializers.SerializerMethodField(help_text="The conditions failed, worded")
    missing_facts = serializers.SerializerMethodField(help_text="What to complete in the file, worded")

    class Meta:
        model = PolicyMatch
        fields = [
            "id",
            "policy",
            "enterprise",
            "verdict",
            "failed",
            "failed_conditions",
            "missing",
            "missing_facts",
            "computed_at",
        ]

    def get_failed_conditions(self, match) -> list[str]:
        rows = list(match.policy.conditions.all())
        return [selectors.describe(rows[index]) for index in match.failed if index < len(rows)]

    def get_missing_facts(self, match) -> list[str]:
        return [selectors.fact_label(code) for code in match.missing]


class MatchFilter(filters.FilterSet):
    class Meta:
        model = PolicyMatch
        fields = ["policy", "enterprise", "verdict"]


class PolicyMatchViewSet(ScopedViewSet, mixins.ListModelMixin):
    """Stored verdicts: an enterprise's own (我可享受的政策), every enterprise's for civil servants."""

    model = PolicyMatch
    serializer_class = MatchSerializer
    filterset_class = MatchFilter
    ordering = ["policy_id", "enterprise_id"]
    ordering_fields = ["policy_id", "enterprise_id"]

    def scope(self, queryset):
        return queryset.select_related("policy").prefetch_related("policy__conditions")


class FactSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=list(OPERATORS))
    operators = serializers.ListField(child=serializers.CharField())
    choices = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))


class FactViewSet(viewsets.ViewSet):
    """The facts of the enterprise file a condition may name, with the operators and values each allows."""

    pagination_class = None

    @extend_schema(responses=FactSerializer(many=True))
    def list(self, request):
        rows = [
            {
                "code": code,
                "label": str(fact.label),
                "kind": fact.kind,
                "operators": list(OPERATORS[fact.kind]),
                "choices": [[value, str(label)] for value, label in fact.choices],
            }
            for code, fact in FACTS.items()
        ]
        return Response(FactSerializer(rows, many=True).data)


class ClaimMaterialSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClaimMaterial
        fields = ["code", "name", "original_name", "content_type", "size", "uploaded_at"]


class ClaimSerializer(serializers.ModelSerializer):
    materials = ClaimMaterialSerializer(source="claim_materials", many=True, read_only=True)
    policy_code = serializers.CharField(source="policy.code", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "number",
            "policy",
            "policy_code",
            "enterprise",
            "period",
            "route",
            "status",
            "amount",
            "approved_amount",
            "facts",
            "missing",
            "note",
            "reason",
            "payment_reference",
            "created_at",
            "submitted_at",
            "due_on",
            "due_on_provisional",
            "is_overdue",
            "decided_at",
            "paid_at",
            "materials",
        ]
        read_only_fields = fields


class StartClaimSerializer(serializers.Serializer):
    policy = serializers.PrimaryKeyRelatedField(queryset=Policy.objects.all())
    period = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"), required=False
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ClaimFilter(filters.FilterSet):
    overdue = filters.BooleanFilter(method="filter_overdue", help_text="Submitted and past its time limit")

    class Meta:
        model = Claim
        fields = ["status", "policy", "enterprise", "period", "route"]

    def filter_overdue(self, queryset, name, value):
        late = Q(status=Claim.Status.SUBMITTED, due_on__lt=clock.today())
        return queryset.filter(late) if value else queryset.exclude(late)


class AmountSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text="Less than asked, or all",
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ReferenceSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=60, help_text="The payment's voucher or transfer number")


class MaterialUploadSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40, help_text="The code of a material the policy asks for")
    file = serializers.FileField()


class ClaimViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Policy claims (兑现): an enterprise's own, its policies' for the paying department. An enterprise starts
    one (pre-filled and only confirmed where it pays without application), attaches materials and submits; the
    department returns, approves (against the budget), refuses or records the payment."""

    model = Claim
    serializer_class = ClaimSerializer
    filterset_class = ClaimFilter
    ordering = ["-created_at", "-id"]
    ordering_fields = ["created_at", "due_on", "id"]

    def scope(self, queryset):
        return queryset.select_related("policy").prefetch_related("claim_materials")

    def _answer(self, claim):
        return Response(self.get_serializer(self.get_queryset().get(pk=claim.pk)).data)

    @extend_schema(request=StartClaimSerializer, responses={201: ClaimSerializer})
    @idempotent
    def create(self, request):
        data = StartClaimSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        user = request.user
        if not user.enterprise_id:
            raise PermissionDenied(_("只有本企业人员可以办理本企业的兑现申请。"))
        policy = Policy.objects.for_user(user).filter(pk=given["policy"].pk).first()
        if policy is None:
            raise serializers.ValidationError({"policy": [_("惠企政策不存在,或您无权访问。")]})
        claim = claims.start_claim(
            user,
            policy,
            Enterprise.objects.get(pk=user.enterprise_id),
            period=given.get("period"),
            amount=given.get("amount"),
            note=given.get("note", ""),
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=claim.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """免申即享: confirm the claim the platform filled in."""
        return self._answer(claims.confirm(request.user, self.get_object()))

    @extend_schema(request=None, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """快申快享: submit the draft with every material the policy asks for."""
        return self._answer(claims.submit(request.user, self.get_object()))

    @extend_schema(request=None, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._answer(claims.withdraw(request.user, self.get_object()))

    @extend_schema(request=ReasonSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_claim(self, request, pk=None):
        """Back to the enterprise for correction, with what to correct."""
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(
            claims.return_claim(request.user, self.get_object(), data.validated_data["reason"])
        )

    @extend_schema(request=AmountSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve the payout (the amount asked, or less) against the policy's remaining budget."""
        data = AmountSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        claim = claims.approve(
            request.user, self.get_object(), amount=given.get("amount"), reason=given.get("reason", "")
        )
        return self._answer(claim)

    @extend_schema(request=ReasonSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(claims.refuse(request.user, self.get_object(), data.validated_data["reason"]))

    @extend_schema(request=ReferenceSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        """Record the payment of an approved claim."""
        data = ReferenceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(claims.pay(request.user, self.get_object(), data.validated_data["reference"]))

    @extend_schema(request={"multipart/form-data": MaterialUploadSerializer}, responses=ClaimSerializer)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def materials(self, request, pk=None):
        """Attach (or replace) a material of a draft claim, checked by content."""
        data = MaterialUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claims.attach_material(
            request.user, self.get_object(), data.validated_data["code"], data.validated_data["file"]
        )
        return self._answer(self.get_object())


routes = [
    ("policies", PolicyViewSet, "policy"),
    ("policy-matches", PolicyMatchViewSet, "policy-match"),
    ("policy-facts", FactViewSet, "policy-fact"),
    ("policy-claims", ClaimViewSet, "policy-claim"),
]
