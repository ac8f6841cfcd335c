"""The demo's "三比一争" campaign: a monthly labour competition among the key projects under construction,
running from six months before today to the end of next month. In each month that has ended the zone's
inspectors check every project once for quality and once for safety (each project keeps a tendency, so the
same sites tend to lead or trail), the morning after the month the round is scored, and two days later the
leader publishes it — all but the last ended round, which waits scored for the leader to publish.

Everything goes through the services on the day it happened (`clock.frozen_at`), like the rest of the demo."""

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from sciencecity.projects.services import campaign
from sciencecity.workdays import clock

from . import applications as demo_applications
from .projects import _moment, inspect_on

User = get_user_model()
MONTHS_BEFORE = 6


@dataclass
class CampaignSummary:
    rounds: int = 0
    published: int = 0
    participants: int = 0
    inspections: int = 0


def _months_back(day: datetime.date, months: int) -> datetime.date:
    month = day.replace(day=1)
    for _n in range(months):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return month


def _end_of_next_month(day: datetime.date) -> datetime.date:
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return (following.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(
        days=1
    )


def create_campaign(seed: int, steps) -> CampaignSummary:
    rng = random.Random(f"{seed}:campaign")
    today = clock.today()
    summary = CampaignSummary()
    leader = User.objects.get(username="leader")
    inspectors = list(
        User.objects.filter(groups__name="inspector", username__startswith="site-inspector-").order_by(
            "username"
        )
    ) or list(User.objects.filter(username="inspector"))
    starts_on = _months_back(today, MONTHS_BEFORE)
    with clock.frozen_at(_moment(starts_on - datetime.timedelta(days=3), 9)):
        made = campaign.create_campaign(
            leader,
            name=f"{starts_on.year}年重点项目“三比一争”劳动竞赛",
            description="比质量、比安全、比进度,争当项目建设先锋:每月检查评比,前十名授红旗,后三名约谈。",
            round_length="month",
            starts_on=starts_on,
            ends_on=_end_of_next_month(today),
            pioneer_places=10,
            bottom_places=3,
        )
    projects = list(campaign.participants(made))
    tendency = {project.pk: (rng.gauss(86, 6), rng.gauss(86, 6)) for project in projects}
    ended = [
        round_
        for round_ in made.rounds.order_by("number")
        if round_.ends_on < today  # scored the morning after (before the demo's hour)
    ]
    steps.start(_("“三比一争”评比"), len(ended))
    for round_ in ended:
        summary.inspections += _inspect(rng, round_, projects, tendency, inspectors)
        with clock.frozen_at(_moment(round_.ends_on + datetime.timedelta(days=1), 8)):
            campaign.score_round(None, round_)
        if round_ != ended[-1]:
            with clock.frozen_at(_moment(round_.ends_on + datetime.timedelta(days=2), 16)):
                campaign.publish_round(leader, round_)
            summary.published += 1
        steps.advance()
    with clock.frozen_at(demo_applications.NOW):  # the results told before last week have been read
        demo_applications.read_what_came_before(demo_applications.NOW - demo_applications.READ_BEFORE)
    summary.rounds = made.rounds.count()
    summary.participants = len(projects)
    return summary


def _inspect(rng, round_, projects, tendency, inspectors) -> int:
    if not inspectors:
        return 0
    written = 0
    days = (round_.ends_on - round_.starts_on).days
    for project in projects:
        for kind, mean in zip(("quality", "safety"), tendency[project.pk], strict=True):
            day = round_.starts_on + datetime.timedelta(days=rng.randint(0, days))
            score = max(50, min(100, round(rng.gauss(mean, 4))))
            inspect_on(rng, day, inspectors, project, kind, score)
            written += 1
    return written
