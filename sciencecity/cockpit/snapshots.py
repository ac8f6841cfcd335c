"""The figures of a period, counted once and kept (`CockpitSnapshot`), so that the cockpit reads one row.

Counting a year of a million applications or problems takes hundreds of milliseconds per figure whatever the
index; counters kept inside every transition would put one hot row into every service call. So the
background worker counts the periods leaders read most — this month, quarter and year, the same periods
last year and last month — every `OVERVIEW_REFRESH_MINUTES` (`refresh`, a refresh duty of the overview
task), and the page says "as of" that moment. A period nobody has read yet is counted on its first reading
and kept; a kept count of a running period older than twice the worker's interval is counted again.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from sciencecity.partybuilding.models import PioneerTeam
from sciencecity.partybuilding.outcomes import outcomes, reach_of_team
from sciencecity.projects.models import CampaignRound, RoundScore
from sciencecity.workdays import clock

from . import charts, figures
from .models import CockpitSnapshot
from .periods import MONTH, Period, current_periods, period_of

RANKING_ROWS = 10


@dataclass
class Reading:
    period: Period
    figures: dict
    charts: dict
    extras: dict
    as_of: datetime.datetime


def max_age() -> datetime.timedelta:
    return datetime.timedelta(minutes=2 * settings.OVERVIEW_REFRESH_MINUTES)


# --- what a count holds ----------------------------------------------------------------------------------


def latest_ranking() -> dict:
    """The newest published round of the 三比一争 campaign: its first places and those called to a talk."""
    round_ = (
        CampaignRound.objects.filter(status=CampaignRound.Status.PUBLISHED)
        .select_related("campaign")
        .order_by("-ends_on", "-id")
        .first()
    )
    if round_ is None:
        return {}
    scores = RoundScore.objects.filter(round=round_).select_related("project").order_by("rank", "project_id")
    return {
        "campaign": round_.campaign_id,
        "campaign_name": round_.campaign.name,
        "round": round_.number,
        "ends_on": round_.ends_on.isoformat(),
        "participants": round_.participants,
        "rows": [
            {
                "rank": score.rank,
                "project": score.project_id,
                "code": score.project.code,
                "name": score.project.name,
                "total": float(score.total),
                "distinction": score.distinction,
            }
            for score in [*scores[:RANKING_ROWS], *scores.filter(distinction=RoundScore.Distinction.BOTTOM)]
        ],
    }


def team_outcomes(period: Period, today: datetime.date) -> list[dict]:
    """Each pioneer team working in the period's year and what its links achieved that year."""
    teams = PioneerTeam.objects.filter(formed_on__lt=period.end).exclude(dissolved_on__lt=period.start)
    rows = []
    for team in teams.order_by("id"):
        result = outcomes(reach_of_team(team), period.year, today).as_dict()
        rows.append(
            {
                "team": team.pk,
                "name": team.name,
                **{
                    key: result[key]
                    for key in (
                        "projects",
                        "problems",
                        "problems_closed",
                        "problems_on_time_rate",
                        "applications",
                        "applications_on_time_rate",
                    )
                },
            }
        )
    return rows


def count_period(period: Period, today: datetime.date) -> dict:
    """Everything the cockpit shows of `period`, counted now."""
    return {
        "figures": figures.compute_all(period, today),
        "charts": {chart.key: charts.compute(chart, period, today) for chart in charts.CHARTS},
        "extras": {"ranking": latest_ranking(), "teams": team_outcomes(period, today)},
    }


# --- keeping and reading ---------------------------------------------------------------------------------


def take_snapshot(period: Period, today: datetime.date | None = None) -> CockpitSnapshot:
    """Count `period` now and keep the count (replacing the period's previous one)."""
    today = today or clock.today()
    taken_at = clock.now()
    started = time.perf_counter()
    content = count_period(period, today)
    seconds = round(time.perf_counter() - started, 3)
    values = {"taken_at": taken_at, "seconds": seconds, **content}
    try:
        with transaction.atomic():
            snapshot, _created = CockpitSnapshot.objects.update_or_create(
                period_kind=period.kind, period_start=period.start, defaults=values
            )
    except IntegrityError:  # another worker inserted the same period meanwhile: keep the newer count
        CockpitSnapshot.objects.filter(period_kind=period.kind, period_start=period.start).update(**values)
        snapshot = CockpitSnapshot.objects.get(period_kind=period.kind, period_start=period.start)
    return snapshot


def is_fresh(snapshot: CockpitSnapshot, period: Period, now: datetime.datetime) -> bool:
    """A running period's count is fresh for twice the worker's interval; a past period's once counted after
    it ended."""
    age = now - snapshot.taken_at
    if age < datetime.timedelta(0):
        return False  # counted "in the future" (a clock set back): count again
    if period.end <= timezone.localdate(snapshot.taken_at):
        return True
    return age <= max_age()


def reading(period: Period, today: datetime.date | None = None) -> Reading:
    """The period's figures: its kept count when fresh (one indexed read of one row), else counted now."""
    today = today or clock.today()
    snapshot = CockpitSnapshot.objects.filter(period_kind=period.kind, period_start=period.start).first()
    if snapshot is None or not is_fresh(snapshot, period, clock.now()):
        snapshot = take_snapshot(period, today)
    return Reading(period, snapshot.figures, snapshot.charts, snapshot.extras, snapshot.taken_at)


def kept_periods(today: datetime.date) -> list[Period]:
    """The periods the background worker keeps counted."""
    periods = current_periods(today)
    periods += [period.same_last_year() for period in periods]
    periods.append(period_of(MONTH, today).previous())
    return periods


def refresh(today: datetime.date | None = None) -> dict:
    """Count the kept periods again (the refresh duty); returns the seconds each took."""
    today = today or clock.today()
    return {period.key: take_snapshot(period, today).seconds for period in kept_periods(today)}
