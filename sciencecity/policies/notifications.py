"""What policies tell people: the kinds of their notifications and where a reader opens the policy."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.notifications import kinds, subjects
from sciencecity.notifications.subjects import Link

from .models import Claim, Policy


class PolicyNoticeKind(models.TextChoices):
    ELIGIBLE = "policy_eligible", gettext_lazy("政策推送")
    CLAIM = "policy_claim", gettext_lazy("政策兑现")


def policy_links(user, policies) -> dict[int, Link]:
    visible = set(
        Policy.objects.for_user(user).filter(pk__in=[p.pk for p in policies]).values_list("pk", flat=True)
    )
    return {
        policy.pk: Link(reverse("policies:detail", args=[policy.code]), _("查看政策"))
        for policy in policies
        if policy.pk in visible
    }


def claim_links(user, claims) -> dict[int, Link]:
    visible = set(
        Claim.objects.for_user(user).filter(pk__in=[c.pk for c in claims]).values_list("pk", flat=True)
    )
    return {
        claim.pk: Link(
            reverse("policies:claim", args=[claim.pk]),
            _("查看兑现申请 %(number)s") % {"number": claim.number},
        )
        for claim in claims
        if claim.pk in visible
    }


def register() -> None:
    kinds.register(PolicyNoticeKind)
    subjects.register(Policy, links=policy_links, queryset=Policy.objects.only("id", "code"))
    subjects.register(Claim, links=claim_links, queryset=Claim.objects.only("id", "number"))
