"""The red / yellow / green warning of each project (红黄绿灯预警), by the rules administrators keep as data
(`WarningRule`), and the report day's reminders.

Each rule reads one measure of a project and says its colour (`WarningRule.level_for`); the project takes the
worst colour of its rules and keeps the reasons (measure, colour, value and what the wording needs) so that
every page can say why, in the reader's language (`reason_text`). The colours are recomputed for the whole
zone each month, the day after the report day (`daily_duty`, run by the morning scan of the background
worker), and for one project whenever something the rules read changes (a monthly report, a milestone date).

The facts are read in chunks of `CHUNK` projects with one query per kind of fact, so a zone of 200,000
projects is a few hundred queries, not a million; only projects whose colour or reasons changed are written.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from sciencecity.audit.services import event, record_many
from sciencecity.problems.models import Problem
from sciencecity.workdays import clock

from ..models import (
    LEVEL_ORDER,
    InvestmentPlan,
    Level,
    Milestone,
    MilestoneKind,
    MonthlyReport,
    PhaseChange,
    Project,
    WarningRule,
)

CHUNK = 1000
M = WarningRule.Measure
REPORTING_PHASES = (Project.Phase.STARTED, Project.Phase.UNDER_CONSTRUCTION)
FINISHED_PHASES = (Project.Phase.COMPLETED, Project.Phase.IN_OPERATION)
PLANNED_CATEGORIES = ("new", "continuing", "completing")

# The rules every zone starts with (migration 0004 makes them; `rules()` makes a missing one again — switch a
# rule off rather than deleting it): (yellow from, red from, active).
DEFAULT_RULES = {
    M.START_DELAY: (Decimal("0"), Decimal("3"), True),  # later than planned: yellow; over three months: red
    M.INVESTMENT_LAG: (Decimal("10"), Decimal("30"), True),  # 10–30 points behind the time schedule: yellow
    M.REPORT_MISSING: (Decimal("1"), None, True),  # a monthly report missing: yellow
    M.OVERDUE_PROBLEM: (Decimal("1"), None, True),  # an overdue problem: yellow
    M.MILESTONE_DELAY: (Decimal("1"), Decimal("6"), False),  # another milestone a month late: yellow
}


def rules() -> list[WarningRule]:
    """The active rules (a default rule missing from the table is made again first)."""
    existing = {rule.measure: rule for rule in WarningRule.objects.all()}
    for measure, (yellow, red, active) in DEFAULT_RULES.items():
        if measure not in existing:
            existing[measure], _created = WarningRule.objects.get_or_create(
                measure=measure, defaults={"yellow_from": yellow, "red_from": red, "is_active": active}
            )
    return [rule for rule in existing.values() if rule.is_active]


def report_day() -> int:
    return settings.PROJECT_REPORT_DAY


def last_due_month(today: datetime.date) -> datetime.date:
    """The latest month whose report day has passed: this month after its report day, else the one before."""
    this_month = today.replace(day=1)
    if today.day > report_day():
        return this_month
    return (this_month - datetime.timedelta(days=1)).replace(day=1)


def _months_between(first: datetime.date, last: datetime.date) -> int:
    """Months from `first` to `last`, both counted (0 when `last` is before `first`)."""
    return max(0, (last.year - first.year) * 12 + last.month - first.month + 1)


def _months_late(planned: datetime.date, today: datetime.date) -> Decimal:
    return (Decimal((today - planned).days) / Decimal("30.4")).quantize(Decimal("0.1"))


@dataclass
class Facts:
    """What the rules read of one project."""

    phase: str
    is_key: bool
    created: datetime.date
    starts: list = field(default_factory=list)  # (planned, actual) of each start milestone
    others: list = field(default_factory=list)  # (planned, actual, name, name_en) of the other milestones
    plan: dict | None = None  # planned, completed, category of this year's plan
    last_report: datetime.date | None = None
    reporting_since: datetime.date | None = None
    overdue_problems: int = 0


def measures(facts: Facts, today: datetime.date) -> dict[str, tuple[Decimal, dict]]:
    """{measure: (value, what its wording needs)} of one project on `today`."""
    found: dict[str, tuple[Decimal, dict]] = {}
    if facts.phase in FINISHED_PHASES:
        return found
    late_starts = [planned for planned, actual in facts.starts if planned and not actual and planned < today]
    if late_starts:
        planned = min(late_starts)
        found[M.START_DELAY] = (_months_late(planned, today), {"planned": planned.isoformat()})
    late = [
        (planned, name, name_en)
        for planned, actual, name, name_en in facts.others
        if planned and not actual and planned < today
    ]
    if late:
        planned, name, name_en = min(late)
        found[M.MILESTONE_DELAY] = (
            _months_late(planned, today),
            {"planned": planned.isoformat(), "milestone": name, "milestone_en": name_en},
        )
    due = last_due_month(today)
    plan = facts.plan
    if plan and plan["planned"] > 0 and plan["category"] in PLANNED_CATEGORIES:
        schedule = Decimal(due.month * 100 / 12 if due.year == today.year else 0).quantize(Decimal("0.1"))
        completion = (Decimal(plan["completed"]) * 100 / Decimal(plan["planned"])).quantize(Decimal("0.1"))
        found[M.INVESTMENT_LAG] = (
            max(Decimal(0), schedule - completion),
            {"schedule": str(schedule), "completion": str(completion)},
        )
    if facts.is_key and facts.phase in REPORTING_PHASES:
        # Reporting runs from the actual start (开工), else from the day the project entered a reporting phase.
        started = [actual for _planned, actual in facts.starts if actual]
        since = (min(started) if started else facts.reporting_since or facts.created).replace(day=1)
        if facts.last_report is not None:
            after_last = (facts.last_report + datetime.timedelta(days=32)).replace(day=1)
            since = max(since, after_last)
        missing = _months_between(since, due)
        if missing:
            found[M.REPORT_MISSING] = (
                Decimal(min(missing, 99)),
                {"since": f"{since:%Y-%m}", "due": f"{due:%Y-%m}"},
            )
    if facts.overdue_problems:
        found[M.OVERDUE_PROBLEM] = (Decimal(facts.overdue_problems), {})
    return found


def judge(facts: Facts, active_rules: list[WarningRule], today: datetime.date) -> tuple[str, list[dict]]:
    """(colour, reasons) of one project: the worst colour of its rules, and each rule that is not green."""
    values = measures(facts, today)
    level, reasons = Level.GREEN, []
    for rule in sorted(active_rules, key=lambda rule: list(M.values).index(rule.measure)):
        if rule.measure not in values:
            continue
        value, details = values[rule.measure]
        colour = rule.level_for(value)
        if colour == Level.GREEN:
            continue
        reasons.append({"measure": rule.measure, "level": colour, "value": str(value), **details})
        if LEVEL_ORDER[colour] > LEVEL_ORDER[level]:
            level = colour
    return level, reasons


def _facts(rows: list[dict], today: datetime.date) -> dict[int, Facts]:
    ids = [row["pk"] for row in rows]
    facts = {
        row["pk"]: Facts(phase=row["phase"], is_key=row["is_key"], created=row["created_at"].date())
        for row in rows
    }
    start = MilestoneKind.Mark.START
    for row in Milestone.objects.filter(project_id__in=ids).values_list(
        "project_id", "kind__marks", "planned_on", "actual_on", "kind__name", "kind__name_en"
    ):
        project_id, mark, planned, actual, name, name_en = row
        if mark == start:
            facts[project_id].starts.append((planned, actual))
        else:
            facts[project_id].others.append((planned, actual, name, name_en))
    for row in InvestmentPlan.objects.filter(project_id__in=ids, year=today.year).values(
        "project_id", "planned", "completed", "category"
    ):
        facts[row["project_id"]].plan = row
    for row in (
        MonthlyReport.objects.filter(project_id__in=ids)
        .values("project_id")
        .annotate(last=Max("month"))
        .order_by()
    ):
        facts[row["project_id"]].last_report = row["last"]
    for row in (
        PhaseChange.objects.filter(project_id__in=ids, to_phase__in=REPORTING_PHASES)
        .values("project_id")
        .annotate(first=Min("changed_on"))
        .order_by()
    ):
        facts[row["project_id"]].reporting_since = row["first"].replace(day=1)
    for row in (
        Problem.objects.overdue(today)
        .filter(project_id__in=ids)
        .values("project_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        facts[row["project_id"]].overdue_problems = row["n"]
    return facts


def refresh(project_ids=None, *, today: datetime.date | None = None) -> dict:
    """Recompute the colour of the projects `project_ids` (every project when None) on `today`; write and
    audit those that changed. Idempotent: a second run the same day changes nothing. Returns counts."""
    today = today or clock.today()
    active = rules()
    queryset = Project.objects.order_by("pk")
    if project_ids is not None:
        queryset = queryset.filter(pk__in=list(project_ids))
    counts = {"projects": 0, "changed": 0, Level.GREEN: 0, Level.YELLOW: 0, Level.RED: 0}
    last_pk = 0
    while True:
        rows = list(
            queryset.filter(pk__gt=last_pk).values(
                "pk", "phase", "is_key", "created_at", "warning_level", "warning_reasons"
            )[:CHUNK]
        )
        if not rows:
            break
        last_pk = rows[-1]["pk"]
        facts = _facts(rows, today)
        changed, audits = [], []
        for row in rows:
            level, reasons = judge(facts[row["pk"]], active, today)
            counts["projects"] += 1
            counts[level] += 1
            if level == row["warning_level"] and reasons == row["warning_reasons"]:
                continue
            project = Project(pk=row["pk"], warning_level=level, warning_reasons=reasons, warned_on=today)
            changed.append(project)
            if level != row["warning_level"]:
                audits.append(
                    event(
                        None,
                        "projects.warn",
                        project,
                        before={"warning_level": row["warning_level"]},
                        after={"warning_level": level, "reasons": [reason["measure"] for reason in reasons]},
                    )
                )
        with transaction.atomic():
            Project.objects.filter(pk__in=[row["pk"] for row in rows]).update(warned_on=today)
            Project.objects.bulk_update(changed, ["warning_level", "warning_reasons", "warned_on"])
            record_many(audits)
        counts["changed"] += len(changed)
    return counts


# --- wording ------------------------------------------------------------------------------------------------


def reason_text(reason: dict) -> str:
    """One reason of a project's colour, in the active language."""
    measure, value = reason.get("measure"), reason.get("value")
    if measure == M.START_DELAY:
        return _("计划 %(planned)s 开工,至今未开工,已滞后 %(value)s 个月") % {
            "planned": reason.get("planned"),
            "value": value,
        }
    if measure == M.MILESTONE_DELAY:
        english = (get_language() or "").startswith("en") and reason.get("milestone_en")
        return _("“%(milestone)s”计划 %(planned)s 完成,至今未完成,已滞后 %(value)s 个月") % {
            "milestone": reason.get("milestone_en") if english else reason.get("milestone"),
            "planned": reason.get("planned"),
            "value": value,
        }
    if measure == M.INVESTMENT_LAG:
        return _("年度投资完成 %(completion)s%%,时序进度 %(schedule)s%%,落后 %(value)s 个百分点") % {
            "completion": reason.get("completion"),
            "schedule": reason.get("schedule"),
            "value": value,
        }
    if measure == M.REPORT_MISSING:
        return _("%(since)s 至 %(due)s 有 %(value)s 个月的月报未报送") % {
            "since": reason.get("since"),
            "due": reason.get("due"),
            "value": value,
        }
    if measure == M.OVERDUE_PROBLEM:
        return _("%(value)s 个问题超期未办结") % {"value": value}
    return str(measure)


def reasons_of(project: Project) -> list[dict]:
    """The project's reasons with their wording and colour name, for pages and the API."""
    return [
        {**reason, "text": reason_text(reason), "level_name": str(Level(reason["level"]).label)}
        for reason in project.warning_reasons or []
    ]
