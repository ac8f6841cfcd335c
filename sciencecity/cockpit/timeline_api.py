"""The zone's construction timeline (建设时间轴) through the API: the same entries as the page, for everyone
signed in, from the records in the caller's scope (`timeline.build`)."""

import datetime

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from sciencecity.workdays import clock

from . import timeline


class TimelineQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100, help_text="One year only")
    kind = serializers.MultipleChoiceField(
        choices=list(timeline.KINDS), required=False, help_text="Only these kinds (repeat the parameter)"
    )


class TimelineItemSerializer(serializers.Serializer):
    label = serializers.CharField()
    url = serializers.CharField(allow_blank=True)
    day = serializers.DateField(allow_null=True)


class TimelineEntrySerializer(serializers.Serializer):
    day = serializers.DateField(help_text="The day it happened; for a month's entry its latest day")
    month_only = serializers.BooleanField(help_text="A month's records of one kind together")
    kind = serializers.ChoiceField(choices=list(timeline.KINDS))
    kind_label = serializers.CharField(help_text="In the request's language")
    title = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True, help_text="The page of the record, where it has one")
    count = serializers.IntegerField()
    amount = serializers.FloatField(allow_null=True, help_text="Investment (万元), where the entry has one")
    items = TimelineItemSerializer(many=True)


class TimelineViewSet(viewsets.ViewSet):
    """The construction timeline, newest first: mass starts, key projects' starts, completions and operation,
    bundles put in force, policies taking effect, the party working committee's founding."""

    @extend_schema(parameters=[TimelineQuerySerializer], responses=TimelineEntrySerializer(many=True))
    def list(self, request):
        query = TimelineQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        today = clock.today()
        year = query.validated_data.get("year")
        if year:
            since, until = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
        else:
            since = datetime.date(timeline.first_year(request.user, today), 1, 1)
            until = today + datetime.timedelta(days=1)
        kinds = query.validated_data.get("kind") or None
        entries = timeline.build(request.user, since, until, kinds=kinds)
        return Response(TimelineEntrySerializer([entry.as_dict() for entry in entries], many=True).data)


routes = [("timeline", TimelineViewSet, "timeline")]
