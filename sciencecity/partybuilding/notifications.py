"""What party building tells people: the kinds of its notifications and where a reader opens the organization."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.notifications import kinds, subjects
from sciencecity.notifications.subjects import Link

from .models import Organization


class PartyNoticeKind(models.TextChoices):
    MEETING_DUE = "party_meeting_due", gettext_lazy("组织生活提醒")


def organization_links(user, organizations) -> dict[int, Link]:
    return {
        organization.pk: Link(reverse("party:organization", args=[organization.pk]), _("查看党组织"))
        for organization in organizations
    }


def register() -> None:
    kinds.register(PartyNoticeKind)
    subjects.register(
        Organization, links=organization_links, queryset=Organization.objects.only("id", "name")
    )
