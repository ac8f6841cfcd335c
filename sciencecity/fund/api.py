"""The invest-first fund through the API: the cases (an enterprise's own; every case for the task force, the
committee, leaders, supervisors and administrators), the application, and each step of the case and of its
tranches through `services.investments` (the tables answer 409 to a step out of turn)."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from sciencecity.api.idempotency import idempotent
from sciencecity.api.views import ScopedViewSet
from sciencecity.enterprises.models import Enterprise

from .models import Investment, Tranche, Vote
from .services import investments as fund


class TrancheSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tranche
        fields = [
            "number",
            "amount",
            "milestone",
            "expected_on",
            "status",
            "evidence",
            "met_at",
            "disbursed_at",
            "reference",
        ]
        read_only_fields = fields


class VoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vote
        fields = ["member", "choice", "comment", "voted_at"]
        read_only_fields = fields


class InvestmentSerializer(serializers.ModelSerializer):
    tranches = TrancheSerializer(many=True, read_only=True)
    votes = VoteSerializer(many=True, read_only=True)

    class Meta:
        model = Investment
        fields = [
            "id",
            "number",
            "enterprise",
            "title",
            "summary",
            "requested",
            "status",
            "applied_at",
            "diligence_report",
            "diligence_at",
            "decided_at",
            "decision_note",
            "amount",
            "signed_on",
            "trigger",
            "trigger_note",
            "valuation_cap",
            "discount",
            "repayment_date",
            "ended_on",
            "equity_percent",
            "converted",
            "repaid",
            "written_off",
            "end_note",
            "tranches",
            "votes",
        ]
        read_only_fields = fields


class ApplySerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=5000)
    requested = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("1"))


class FundReportSerializer(serializers.Serializer):
    report = serializers.CharField(max_length=5000)


class FundNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class FundReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class VoteInputSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=Vote.Choice.choices)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class TrancheInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("1"))
    milestone = serializers.CharField(max_length=300)
    expected_on = serializers.DateField(required=False, allow_null=True)


class SignSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("1"))
    signed_on = serializers.DateField()
    trigger = serializers.ChoiceField(choices=Investment.Trigger.choices)
    trigger_note = serializers.CharField(max_length=300, required=False, allow_blank=True)
    valuation_cap = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("1"), required=False, allow_null=True
    )
    discount = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("90"),
        required=False,
        allow_null=True,
    )
    repayment_date = serializers.DateField()
    tranches = TrancheInputSerializer(many=True, allow_empty=False, max_length=fund.MAX_TRANCHES)


class ConvertSerializer(serializers.Serializer):
    equity_percent = serializers.DecimalField(
        max_digits=6, decimal_places=3, min_value=Decimal("0.001"), max_value=Decimal("100")
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class RepaySerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class EvidenceSerializer(serializers.Serializer):
    evidence = serializers.CharField(max_length=5000)


class FundReferenceSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=60)


def _given(serializer_class, request) -> dict:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


class InvestmentViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Invest-first cases, newest first; filter by `status`."""

    model = Investment
    serializer_class = InvestmentSerializer
    filterset_fields = ["status", "enterprise"]
    ordering = ["-applied_at", "-id"]
    ordering_fields = ["applied_at", "repayment_date", "id"]

    def scope(self, queryset):
        return queryset.prefetch_related("tranches", "votes")

    def _answer(self, investment, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=investment.pk)).data, status=code)

    @extend_schema(request=ApplySerializer, responses={201: InvestmentSerializer})
    @idempotent
    def create(self, request):
        """A tech enterprise's application (its own people)."""
        if not request.user.enterprise_id:
            raise PermissionDenied(_("只有本企业人员可以为本企业申请先投后股。"))
        made = fund.apply(
            request.user,
            Enterprise.objects.get(pk=request.user.enterprise_id),
            **_given(ApplySerializer, request),
        )
        return self._answer(made, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InvestmentSerializer)
    @action(detail=True, methods=["post"], url_path="start-diligence")
    def start_diligence(self, request, pk=None):
        return self._answer(fund.start_diligence(request.user, self.get_object()))

    @extend_schema(request=None, responses=InvestmentSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._answer(fund.withdraw(request.user, self.get_object()))

    @extend_schema(request=FundReportSerializer, responses=InvestmentSerializer)
    @action(detail=True, methods=["post"], url_path="to-committee")
    def to_committee(self, request, pk=None):
        return self._answer(
            fund.to_committee(
                request.user, self.get_object(), _given(FundReportSerializer, request)["report"]
            )
        )

    @extend_schema(request=VoteInputSerializer, responses=InvestmentSerializer)
    @idempotent
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        """A committee member's vote (again: the vote changes) while the case is before the committee."""
        given = _given(VoteInputSerializer, request)
        investment = self.get_object()
        fund.vote(request.user, investment, given["choice"], given.get("comment", ""))
        return self._answer(investment)

    @extend_schema(request=FundNoteSerializer, responses=InvestmentSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._answer(
            fund.approve(request.user, self.get_object(), _given(FundNoteSerializer, request).get("note", ""))
        )

    @extend_schema(request=FundReasonSerializer, responses=InvestmentSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._answer(
            fund.reject(request.user, self.get_object(), _given(FundReasonSerializer, request)["reason"])
        )

    @extend_schema(request=SignSerializer, responses=InvestmentSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """The agreement: amount, tranches with milestones, conversion terms, repayment date."""
        given = _given(SignSerializer, request)
        tranches = [dict(row) for row in given.pop("tranches")]
        return self._answer(fund.sign(request.user, self.get_object(), **given, tranches=tranches))

    @extend_schema(request=ConvertSerializer, responses=InvestmentSerializer)
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None):
        return self._answer(
            fund.convert(request.user, self.get_object(), **_given(ConvertSerializer, request))
        )

    @extend_schema(request=RepaySerializer, responses=InvestmentSerializer)
    @action(detail=True, methods=["post"])
    def repay(self, request, pk=None):
        return self._answer(fund.repay(request.user, self.get_object(), **_given(RepaySerializer, request)))

    @extend_schema(request=FundReasonSerializer, responses=InvestmentSerializer)
    @action(detail=True, methods=["post"], url_path="write-off")
    def write_off(self, request, pk=None):
        return self._answer(
            fund.write_off(request.user, self.get_object(), _given(FundReasonSerializer, request)["reason"])
        )

    def _tranche(self, number) -> tuple[Investment, Tranche]:
        investment = self.get_object()
        tranche = investment.tranches.filter(number=number).first()
        if tranche is None:
            from django.http import Http404

            raise Http404(_("没有这个批次。"))
        return investment, tranche

    @extend_schema(request=EvidenceSerializer, responses=InvestmentSerializer)
    @action(detail=True, methods=["post"], url_path=r"tranches/(?P<number>[0-9]{1,2})/meet")
    def meet(self, request, pk=None, number=None):
        """Confirm the tranche's milestone met."""
        investment, tranche = self._tranche(int(number))
        fund.meet_milestone(request.user, tranche, _given(EvidenceSerializer, request)["evidence"])
        return self._answer(investment)

    @extend_schema(request=FundReferenceSerializer, responses=InvestmentSerializer)
    @action(detail=True, methods=["post"], url_path=r"tranches/(?P<number>[0-9]{1,2})/disburse")
    def disburse(self, request, pk=None, number=None):
        """Pay the tranche (409 before its milestone is met)."""
        investment, tranche = self._tranche(int(number))
        fund.disburse(request.user, tranche, _given(FundReferenceSerializer, request)["reference"])
        return self._answer(investment)


routes = [("fund-investments", InvestmentViewSet, "fund-investment")]
