"""What service events tell people (an enterprise invited, an escort assigned, a demand registered for an
enterprise, an outcome recorded), and where a reader opens the event."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.notifications import kinds, subjects
from sciencecity.notifications.subjects import Link

from ..models import ServiceEvent


class EventNoticeKind(models.TextChoices):
    INVITED = "service_event_invited", gettext_lazy("服务活动邀请")
    ESCORT = "service_event_escort", gettext_lazy("服务活动陪跑安排")
    DEMAND = "service_event_demand", gettext_lazy("活动诉求已登记")
    OUTCOME = "service_event_outcome", gettext_lazy("服务活动成果")
    CANCELLED = "service_event_cancelled", gettext_lazy("服务活动取消")


def event_links(user, events) -> dict:
    return {
        event.pk: Link(reverse("service_events:detail", args=[event.pk]), _("查看服务活动"))
        for event in events
    }


def register() -> None:
    kinds.register(EventNoticeKind)
    subjects.register(
        ServiceEvent, links=event_links, queryset=ServiceEvent.objects.only("id", "number", "title")
    )
