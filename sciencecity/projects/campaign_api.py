"""The "三比一争" campaign through the API: campaigns and their scoring rules, rounds, a round's ranking, and
the organizers' scoring and publication. Reads follow the same scope as the pages (a round is seen once
published, by organizers and supervisors once scored; an enterprise reads the pioneers and its own places);
every write goes through `services.campaign`."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from sciencecity.api.idempotency import idempotent
from sciencecity.api.pagination import CursorPage
from sciencecity.api.views import ScopedViewSet

from . import selectors
from .models import Campaign, CampaignRound, RoundScore, ScoringRule
from .services import campaign as campaigns


class ScoringRuleSerializer(serializers.ModelSerializer):
    dimension = serializers.ChoiceField(choices=ScoringRule.Dimension.choices, read_only=True)

    class Meta:
        model = ScoringRule
        fields = ["measure", "dimension", "weight", "missing_score"]


class RoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = CampaignRound
        fields = [
            "id",
            "campaign",
            "number",
            "starts_on",
            "ends_on",
            "status",
            "participants",
            "scored_at",
            "published_at",
            "rules",
        ]


class CampaignSerializer(serializers.ModelSerializer):
    rules = ScoringRuleSerializer(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "description",
            "round_length",
            "starts_on",
            "ends_on",
            "task_force",
            "pioneer_places",
            "bottom_places",
            "created_at",
            "rules",
        ]
        read_only_fields = ["created_at"]


class RuleInputSerializer(serializers.Serializer):
    measure = serializers.ChoiceField(choices=ScoringRule.Measure.choices)
    weight = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)
    missing_score = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )


class RulesInputSerializer(serializers.Serializer):
    rules = RuleInputSerializer(many=True, allow_empty=False)


class ScoreSerializer(serializers.ModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)

    class Meta:
        model = RoundScore
        fields = [
            "rank",
            "project",
            "project_code",
            "project_name",
            "total",
            "quality",
            "safety",
            "progress",
            "distinction",
            "details",
        ]


class RankingFilterSerializer(serializers.Serializer):
    distinction = serializers.ChoiceField(choices=RoundScore.Distinction.choices, required=False)


class CampaignViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Campaigns, newest first; organizers (`projects.run_campaign`) start one with its rounds."""

    model = Campaign
    serializer_class = CampaignSerializer
    ordering = ["-starts_on", "-id"]
    ordering_fields = ["starts_on", "id"]

    def scope(self, queryset):
        return queryset.prefetch_related("rules")

    @idempotent
    def create(self, request):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = campaigns.create_campaign(request.user, **data.validated_data)
        return Response(self.get_serializer(made).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RulesInputSerializer, responses=ScoringRuleSerializer(many=True))
    @action(detail=True, methods=["put"])
    def rules(self, request, pk=None):
        """Set the weight (and the score without data) of the measures named; the next scoring reads them."""
        campaign = self.get_object()
        data = RulesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = {
            row["measure"]: {key: value for key, value in row.items() if key != "measure"}
            for row in data.validated_data["rules"]
        }
        rules = campaigns.set_rules(request.user, campaign, changes)
        return Response(ScoringRuleSerializer(rules, many=True).data)

    @extend_schema(responses=RoundSerializer(many=True))
    @action(detail=True, methods=["get"])
    def rounds(self, request, pk=None):
        """The rounds of the campaign this caller may see (published ones; all for organizers)."""
        campaign = self.get_object()
        return Response(RoundSerializer(selectors.rounds_of(request.user, campaign), many=True).data)


class RoundViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Rounds of every campaign; the ranking of one; scoring and publishing by organizers."""

    model = CampaignRound
    serializer_class = RoundSerializer
    ordering = ["-ends_on", "-id"]
    ordering_fields = ["ends_on", "id"]

    @extend_schema(parameters=[RankingFilterSerializer], responses=ScoreSerializer(many=True))
    @action(detail=True, methods=["get"])
    def ranking(self, request, pk=None):
        """The round's places, first place first (pioneers and the bottom places marked)."""
        round_ = self.get_object()
        query = RankingFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        scores = selectors.ranking(request.user, round_, query.validated_data.get("distinction", ""))
        paginator = CursorPage()
        paginator.ordering = ("rank", "project_id")
        page = paginator.paginate_queryset(scores, request, view=None)
        return paginator.get_paginated_response(ScoreSerializer(page, many=True).data)

    @extend_schema(request=None, responses=RoundSerializer)
    @action(detail=True, methods=["post"])
    def score(self, request, pk=None):
        """Score and rank the round (again): only after it has ended, never once published."""
        return Response(self.get_serializer(campaigns.score_round(request.user, self.get_object())).data)

    @extend_schema(request=None, responses=RoundSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish the scored ranking; the pioneers and the bottom places are told."""
        return Response(self.get_serializer(campaigns.publish_round(request.user, self.get_object())).data)


routes = [
    ("campaigns", CampaignViewSet, "campaign"),
    ("campaign-rounds", RoundViewSet, "campaign-round"),
]
