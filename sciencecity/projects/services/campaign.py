"""The "三比一争" campaign (比质量、比安全、比进度,争先进): campaigns and their rounds, the scoring rules kept as
data, the scoring and ranking of a round, and its publication.

A round moves by `ROUND_TRANSITIONS` (open → scored → published; a scored round may be scored again, a
published one never changes). The morning scan scores each round the day after it ends (`score_due_rounds`);
an organizer (`projects.run_campaign`) looks at the ranking, scores again if data came late, and publishes
it, which tells the pioneers (红旗) and the bottom places (约谈) — their enterprises and escort leads.

A round is scored in chunks of `CHUNK` projects with one query per kind of fact (inspections, plans, reports,
phase changes), so a zone of 200,000 projects is a few hundred queries; the scores are written without
their places first, then ranked by one ordered read and written back in batches.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Avg, Min, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.audit import record
from sciencecity.workdays import clock
from sciencecity.workflow.transitions import TransitionTable

from ..models import (
    RUN_CAMPAIGN,
    Campaign,
    CampaignRound,
    Inspection,
    InvestmentPlan,
    Level,
    MonthlyReport,
    PhaseChange,
    Project,
    RoundScore,
    ScoringRule,
)
from . import reports, warnings
from .escort import clean_text

CHUNK = 1000
MAX_ROUNDS = 24
MAX_DAYS = 3 * 366  # checked before the rounds are counted
HUNDRED_DAYS = 100
Measure = ScoringRule.Measure
Status = CampaignRound.Status

ROUND_TRANSITIONS = TransitionTable(
    CampaignRound,
    [
        (Status.OPEN, "score_round", Status.SCORED, RUN_CAMPAIGN),
        (Status.SCORED, "score_round", Status.SCORED, RUN_CAMPAIGN),
        (Status.SCORED, "publish_round", Status.PUBLISHED, RUN_CAMPAIGN),
    ],
    {"score_round": gettext_lazy("评分排名"), "publish_round": gettext_lazy("公布结果")},
)

# The rules a new campaign starts with: {measure: (weight, score without data)}. Quality and safety weigh
# most, as the campaign's name puts them first; organizers change them as rows.
DEFAULT_RULES = {
    Measure.QUALITY_INSPECTION: (Decimal(30), Decimal(60)),
    Measure.SAFETY_INSPECTION: (Decimal(30), Decimal(60)),
    Measure.INVESTMENT_PROGRESS: (Decimal(25), Decimal(60)),
    Measure.REPORT_TIMELINESS: (Decimal(10), Decimal(60)),
    Measure.WARNING_LEVEL: (Decimal(5), Decimal(60)),
}
LEVEL_SCORES = {Level.GREEN: Decimal(100), Level.YELLOW: Decimal(60), Level.RED: Decimal(20)}
ON_TIME, LATE, MISSING = Decimal(100), Decimal(50), Decimal(0)


def _require_organizer(user) -> None:
    if user is None or not user.has_perm(RUN_CAMPAIGN):
        raise PermissionDenied(_("只有“三比一争”活动的组织者可以进行此操作。"))


# --- campaigns and their rules ----------------------------------------------------------------------------------


def round_periods(round_length: str, starts_on: datetime.date, ends_on: datetime.date) -> list[tuple]:
    """The (start, end) of each round: each calendar month of the period, or a hundred days at a time; the
    last round ends with the campaign."""
    periods = []
    start = starts_on
    while start <= ends_on:
        if round_length == Campaign.RoundLength.MONTH:
            end = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(
                days=1
            )
        else:
            end = start + datetime.timedelta(days=HUNDRED_DAYS - 1)
        periods.append((start, min(end, ends_on)))
        start = periods[-1][1] + datetime.timedelta(days=1)
    return periods


def _int_in(errors: dict, field: str, value, low: int, high: int):
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        errors[field] = _("应为 %(low)s 到 %(high)s 之间的整数。") % {"low": low, "high": high}
    return value


def create_campaign(
    user,
    *,
    name: str,
    round_length: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    description: str = "",
    task_force: str = "",
    pioneer_places: int = 3,
    bottom_places: int = 3,
) -> Campaign:
    """Make a campaign with its rounds and the default scoring rules."""
    _require_organizer(user)
    errors = {}
    try:
        name = clean_text("name", name, limit=100)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        description = clean_text("description", description, required=False)
    except ValidationError as error:
        errors.update(error.message_dict)
    if round_length not in Campaign.RoundLength.values:
        errors["round_length"] = _("请选择每月一轮或百日一轮。")
    if not isinstance(starts_on, datetime.date) or not isinstance(ends_on, datetime.date):
        errors["ends_on"] = _("请填写开始和结束日期。")
    elif ends_on < starts_on:
        errors["ends_on"] = _("结束日期不能早于开始日期。")
    elif (ends_on - starts_on).days > MAX_DAYS or (
        round_length in Campaign.RoundLength.values
        and len(round_periods(round_length, starts_on, ends_on)) > MAX_ROUNDS
    ):
        errors["ends_on"] = _("一次活动最多 %(max)s 轮,请缩短活动期限。") % {"max": MAX_ROUNDS}
    task_force = (task_force or "").strip()
    if task_force and not Project.objects.filter(task_force=task_force).exists():
        errors["task_force"] = _("没有名为“%(name)s”的工作专班。") % {"name": task_force[:100]}
    _int_in(errors, "pioneer_places", pioneer_places, 1, 100)
    _int_in(errors, "bottom_places", bottom_places, 0, 100)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name,
            description=description,
            round_length=round_length,
            starts_on=starts_on,
            ends_on=ends_on,
            task_force=task_force,
            pioneer_places=pioneer_places,
            bottom_places=bottom_places,
            created_by=user,
        )
        CampaignRound.objects.bulk_create(
            CampaignRound(campaign=campaign, number=number, starts_on=start, ends_on=end)
            for number, (start, end) in enumerate(round_periods(round_length, starts_on, ends_on), 1)
        )
        ScoringRule.objects.bulk_create(
            ScoringRule(campaign=campaign, measure=measure, weight=weight, missing_score=missing)
            for measure, (weight, missing) in DEFAULT_RULES.items()
        )
        record(
            user,
            "projects.create_campaign",
            campaign,
            after={
                "name": name,
                "round_length": round_length,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
                "rounds": campaign.rounds.count(),
            },
        )
    return campaign


def _decimal(errors: dict, field: str, value) -> Decimal | None:
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except ArithmeticError:
        number = None
    if number is None or not Decimal(0) <= number <= Decimal(100):
        errors[field] = _("应为 0 到 100 之间的数。")
        return None
    return number


def set_rules(user, campaign: Campaign, rules: dict) -> list[ScoringRule]:
    """Set the weight and the score without data of the campaign's measures: `rules` is
    {measure: {"weight": …, "missing_score": …}} for the measures to change. Rounds already scored keep the
    rules they were scored by; the next scoring reads these."""
    _require_organizer(user)
    errors = {}
    cleaned = {}
    for measure, values in (rules or {}).items():
        if measure not in Measure.values:
            errors[str(measure)[:40]] = _("未知的评分指标:%(measure)s。") % {"measure": str(measure)[:40]}
            continue
        if not isinstance(values, dict):
            errors[measure] = _("请填写权重。")
            continue
        weight = _decimal(errors, f"{measure}.weight", values.get("weight"))
        missing = _decimal(
            errors, f"{measure}.missing_score", values.get("missing_score", DEFAULT_RULES[measure][1])
        )
        cleaned[measure] = (weight, missing)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        existing = {rule.measure: rule for rule in campaign.rules.all()}
        before = {measure: str(rule.weight) for measure, rule in existing.items()}
        for measure, (weight, missing) in cleaned.items():
            rule = existing.get(measure) or ScoringRule(campaign=campaign, measure=measure)
            rule.weight, rule.missing_score = weight, missing
            rule.save()
            existing[measure] = rule
        if sum(rule.weight for rule in existing.values()) <= 0:
            raise ValidationError({"weight": _("至少一项指标的权重应大于 0。")})
        record(
            user,
            "projects.set_scoring_rules",
            campaign,
            before={"weights": before},
            after={"weights": {measure: str(rule.weight) for measure, rule in existing.items()}},
        )
    return sorted(existing.values(), key=lambda rule: list(Measure.values).index(rule.measure))


def rules_of(campaign: Campaign) -> list[dict]:
    """The campaign's rules as a round keeps them: measure, dimension, weight, score without data."""
    return [
        {
            "measure": rule.measure,
            "dimension": rule.dimension,
            "weight": str(rule.weight),
            "missing_score": str(rule.missing_score),
        }
        for rule in sorted(campaign.rules.all(), key=lambda rule: list(Measure.values).index(rule.measure))
    ]


# --- scoring ----------------------------------------------------------------------------------------------------


def participants(campaign: Campaign):
    """The key projects a round compares: those under construction (of the campaign's task force)."""
    projects = Project.objects.filter(is_key=True, phase__in=warnings.REPORTING_PHASES)
    if campaign.task_force:
        projects = projects.filter(task_force=campaign.task_force)
    return projects.order_by("pk")


def _months(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


@dataclass(frozen=True)
class Window:
    """What a round reads: inspections inside it, reports due inside it, the investment of its year."""

    starts_on: datetime.date
    ends_on: datetime.date

    @property
    def due_months(self) -> list[datetime.date]:
        """The months whose report is due inside the round (on the report day of the month)."""
        months = _months(self.starts_on, self.ends_on)
        return [month for month in months if self.starts_on <= reports.due_on(month) <= self.ends_on]

    @property
    def investment_month(self) -> datetime.date:
        """The last month whose report was due by the round's end: the investment completed is read to it."""
        return warnings.last_due_month(self.ends_on)


def _measures(ids: list[int], levels: dict, window: Window) -> dict[int, dict]:
    """{project: {measure: score or None}} for one chunk of projects."""
    found = {pk: {} for pk in ids}
    kinds = {
        Inspection.Kind.QUALITY: Measure.QUALITY_INSPECTION,
        Inspection.Kind.SAFETY: Measure.SAFETY_INSPECTION,
    }
    for row in (
        Inspection.objects.filter(project_id__in=ids, inspected_on__range=(window.starts_on, window.ends_on))
        .values("project_id", "kind")
        .annotate(mean=Avg("score"))
        .order_by()
    ):
        found[row["project_id"]][kinds[row["kind"]]] = Decimal(str(row["mean"]))
    month = window.investment_month
    year = window.ends_on.year
    if month.year == year:
        plans = dict(
            InvestmentPlan.objects.filter(project_id__in=ids, year=year, planned__gt=0)
            .exclude(category="reserve")
            .values_list("project_id", "planned")
        )
        completed = dict(
            MonthlyReport.objects.filter(
                project_id__in=plans, month__range=(datetime.date(year, 1, 1), month)
            )
            .values("project_id")
            .annotate(total=Sum("investment"))
            .order_by()
            .values_list("project_id", "total")
        )
        for pk, planned in plans.items():
            expected = planned * month.month / 12
            done = completed.get(pk) or Decimal(0)
            found[pk][Measure.INVESTMENT_PROGRESS] = min(Decimal(100), done * 100 / expected)
    due = window.due_months
    if due:
        since = dict(
            PhaseChange.objects.filter(project_id__in=ids, to_phase__in=warnings.REPORTING_PHASES)
            .values("project_id")
            .annotate(first=Min("changed_on"))
            .order_by()
            .values_list("project_id", "first")
        )
        reports = {
            (pk, month): late
            for pk, month, late in MonthlyReport.objects.filter(
                project_id__in=ids, month__in=due
            ).values_list("project_id", "month", "is_late")
        }
        for pk in ids:
            start = since.get(pk)
            owed = [month for month in due if start is None or month >= start.replace(day=1)]
            if not owed:
                continue
            marks = [
                (LATE if reports[(pk, month)] else ON_TIME) if (pk, month) in reports else MISSING
                for month in owed
            ]
            found[pk][Measure.REPORT_TIMELINESS] = sum(marks) / len(marks)
    for pk in ids:
        found[pk][Measure.WARNING_LEVEL] = LEVEL_SCORES[levels[pk]]
    return found


def _weighted(pairs: list[tuple[Decimal, Decimal]]) -> Decimal | None:
    weight = sum(weight for weight, _score in pairs)
    if not weight:
        return None
    return (sum(weight * score for weight, score in pairs) / weight).quantize(Decimal("0.01"))


def score_project(measured: dict, rules: list[dict]) -> dict:
    """The total, the three dimensions' scores and each measure's score of one project, by `rules`."""
    details, by_dimension, everything = {}, {}, []
    for rule in rules:
        weight = Decimal(rule["weight"])
        value = measured.get(rule["measure"])
        score = (Decimal(rule["missing_score"]) if value is None else Decimal(value)).quantize(
            Decimal("0.01")
        )
        details[rule["measure"]] = {"score": str(score), "measured": value is not None}
        if weight > 0:
            by_dimension.setdefault(rule["dimension"], []).append((weight, score))
            everything.append((weight, score))
    dimensions = {dimension: _weighted(pairs) for dimension, pairs in by_dimension.items()}
    return {
        "total": _weighted(everything) or Decimal(0),
        "quality": dimensions.get(ScoringRule.Dimension.QUALITY),
        "safety": dimensions.get(ScoringRule.Dimension.SAFETY),
        "progress": dimensions.get(ScoringRule.Dimension.PROGRESS),
        "details": details,
    }


def _rank(round_: CampaignRound, pioneers: int, bottoms: int) -> int:
    """Give the round's scores their places: by total, then quality, safety, progress; equal on all four share
    a place. The first `pioneers` places are pioneers, the last `bottoms` (never a pioneer) called to a talk."""
    rows = list(
        RoundScore.objects.filter(round=round_)
        .order_by("-total", "-quality", "-safety", "-progress", "project__code")
        .values_list("pk", "total", "quality", "safety", "progress")
    )
    count = len(rows)
    places, previous, place = [], None, 0
    for position, (pk, *key) in enumerate(rows, 1):
        if key != previous:
            place, previous = position, key
        places.append((pk, place))
    bottom_from = count - bottoms + 1 if bottoms else count + 1
    changed = []
    for pk, place in places:
        if place <= pioneers:
            distinction = RoundScore.Distinction.PIONEER
        elif place >= bottom_from:
            distinction = RoundScore.Distinction.BOTTOM
        else:
            distinction = ""
        changed.append(RoundScore(pk=pk, rank=place, distinction=distinction))
    RoundScore.objects.bulk_update(changed, ["rank", "distinction"], batch_size=CHUNK)
    return count


def score_round(user, round_: CampaignRound, *, today: datetime.date | None = None) -> CampaignRound:
    """Score and rank the round (again, if it was scored): only once it has ended. `user` None is the morning
    scan."""
    today = today or clock.today()
    with transaction.atomic():
        round_ = CampaignRound.objects.select_for_update().select_related("campaign").get(pk=round_.pk)
        ROUND_TRANSITIONS.check(round_, "score_round", user)
        if round_.ends_on >= today:
            raise ValidationError(
                _("第%(number)s轮到 %(end)s 结束,结束后才能评分。")
                % {"number": round_.number, "end": round_.ends_on.isoformat()}
            )
        campaign = round_.campaign
        rules = rules_of(campaign)
        window = Window(round_.starts_on, round_.ends_on)
        RoundScore.objects.filter(round=round_).delete()
        last_pk = 0
        while True:
            chunk = list(
                participants(campaign).filter(pk__gt=last_pk).values_list("pk", "warning_level")[:CHUNK]
            )
            if not chunk:
                break
            last_pk = chunk[-1][0]
            levels = dict(chunk)
            measured = _measures(list(levels), levels, window)
            RoundScore.objects.bulk_create(
                RoundScore(round=round_, project_id=pk, rank=0, **score_project(measured[pk], rules))
                for pk in levels
            )
        before = round_.status
        ROUND_TRANSITIONS.apply(round_, "score_round", user)
        round_.rules = rules
        round_.participants = _rank(round_, campaign.pioneer_places, campaign.bottom_places)
        round_.scored_at = clock.now()
        round_.save(update_fields=["status", "rules", "participants", "scored_at"])
        record(
            user,
            "projects.score_round",
            round_,
            before={"status": before},
            after={"status": round_.status, "participants": round_.participants},
        )
    return round_


def score_due_rounds(today: datetime.date | None = None) -> int:
    """The morning scan's part: score each open round that has ended. Idempotent (a scored round is left to
    the organizers)."""
    today = today or clock.today()
    due = CampaignRound.objects.filter(status=Status.OPEN, ends_on__lt=today).order_by("ends_on", "pk")
    for round_ in due:
        score_round(None, round_, today=today)
    return len(due)


def publish_round(user, round_: CampaignRound) -> CampaignRound:
    """Publish the round's ranking (it never changes after) and tell the pioneers and the bottom places."""
    from ..notices import tell_distinctions  # the notices read this module's results

    with transaction.atomic():
        round_ = CampaignRound.objects.select_for_update().select_related("campaign").get(pk=round_.pk)
        before, after = ROUND_TRANSITIONS.apply(round_, "publish_round", user)
        round_.published_at = clock.now()
        round_.published_by = user
        round_.save(update_fields=["status", "published_at", "published_by"])
        record(user, "projects.publish_round", round_, before={"status": before}, after={"status": after})
        tell_distinctions(round_)
    return round_
