"""What the interaction register tells people, and where a reader opens a record."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.notifications import kinds, subjects
from sciencecity.notifications.subjects import Link

from .models import Interaction


class InteractionNoticeKind(models.TextChoices):
    FLAGGED = "interaction_flagged", gettext_lazy("政商交往登记需关注")
    DISPUTED = "interaction_disputed", gettext_lazy("企业对交往登记有异议")


def interaction_links(user, interactions) -> dict:
    return {
        interaction.pk: Link(reverse("interactions:detail", args=[interaction.pk]), _("查看交往登记"))
        for interaction in interactions
    }


def register() -> None:
    kinds.register(InteractionNoticeKind)
    subjects.register(Interaction, links=interaction_links, queryset=Interaction.objects.only("id", "number"))
