"""Reads of the project file that pages and the API share: the schedule (milestones of the project and of
each phase, planned against actual), the escort team with the consent in force, the monthly reports, the
service log, and the lists of projects by warning colour, leader, task force or department. Each read is a
fixed number of queries whatever the number of rows."""

import datetime
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q

from sciencecity.accounts.scoping import sees_everything
from sciencecity.workdays import clock
from sciencecity.workflow.paging import capped_count

from .models import (
    Campaign,
    CampaignRound,
    EscortMember,
    Inspection,
    InvestmentPlan,
    Level,
    Milestone,
    MonthlyReport,
    PhaseChange,
    Project,
    RoundScore,
    ServiceLog,
    SupervisionNote,
)
from .services import escort, schedule


@dataclass
class MilestoneRow:
    """One milestone of the project or of one of its phases, with its dates and how it stands."""

    code: str
    name: str
    stage: object  # ProjectStage or None
    planned_on: datetime.date | None
    actual_on: datetime.date | None

    @property
    def late(self) -> bool:
        if self.planned_on is None:
            return False
        if self.actual_on is not None:
            return self.actual_on > self.planned_on
        return self.planned_on < clock.today()

    @property
    def state(self) -> str:
        if self.actual_on is not None:
            return "late" if self.late else "done"
        return "overdue" if self.late else "planned"


@dataclass
class Schedule:
    kinds: list
    stages: list
    rows: list = field(default_factory=list)  # MilestoneRow, the project's first, then each phase's
    plans: list = field(default_factory=list)
    history: list = field(default_factory=list)


def schedule_of(project: Project) -> Schedule:
    kinds = schedule.milestone_kinds(project)
    stages = list(project.stages.order_by("number"))
    dates = {
        (row.stage_id, row.kind_id): row
        for row in Milestone.objects.filter(project=project).only(
            "stage_id", "kind_id", "planned_on", "actual_on"
        )
    }
    rows = []
    for stage in [None, *stages]:
        stage_id = stage.pk if stage else None
        for kind in kinds:
            found = dates.get((stage_id, kind.pk))
            if stage is not None and found is None:
                continue  # a phase shows the milestones set for it
            rows.append(
                MilestoneRow(
                    kind.code,
                    kind.display_name,
                    stage,
                    found.planned_on if found else None,
                    found.actual_on if found else None,
                )
            )
    return Schedule(
        kinds=kinds,
        stages=stages,
        rows=rows,
        plans=list(InvestmentPlan.objects.filter(project=project).order_by("-year")),
        history=list(
            PhaseChange.objects.filter(project=project).select_related("actor").order_by("changed_on", "id")
        ),
    )


def timeline_data(rows: list[MilestoneRow]) -> dict:
    """The Gantt-like chart's data (drawn by static/js/project-timeline.js with ECharts): one line per
    milestone, its planned and actual day as ISO dates, and today."""
    return {
        "today": clock.today().isoformat(),
        "rows": [
            {
                "label": f"{row.stage.name} · {row.name}" if row.stage else row.name,
                "planned": row.planned_on.isoformat() if row.planned_on else None,
                "actual": row.actual_on.isoformat() if row.actual_on else None,
                "state": row.state,
            }
            for row in rows
            if row.planned_on or row.actual_on
        ],
    }


def team_of(project: Project) -> list[EscortMember]:
    return list(
        EscortMember.objects.filter(project=project)
        .select_related("user", "user__department")
        .order_by("role", "id")
    )


def service_logs(project: Project):
    return (
        ServiceLog.objects.filter(project=project)
        .select_related("actor", "problem")
        .order_by("-served_on", "-id")
    )


def reports_of(project: Project):
    return (
        MonthlyReport.objects.filter(project=project)
        .prefetch_related("photos", "problems")
        .order_by("-month")
    )


def inspections_of(project: Project):
    return (
        Inspection.objects.filter(project=project)
        .select_related("inspector")
        .prefetch_related("problems")
        .order_by("-inspected_on", "-id")
    )


def supervision_notes(user, project: Project):
    """The supervisors' notes, for those who read the whole zone (supervisors, leaders, administrators)."""
    if not sees_everything(user):
        return SupervisionNote.objects.none()
    return (
        SupervisionNote.objects.filter(project=project)
        .select_related("author")
        .order_by("-written_at", "-id")
    )


def consent_of(project: Project):
    return escort.consent_in_force(project)


# --- lists of projects -----------------------------------------------------------------------------------------


def key_projects(user, *, level: str = "", lead=None, task_force: str = "", department=None, member=None):
    """The key projects `user` may see, filtered by warning colour, by the lead of their escort team, by task
    force, by the department of one of their specialists, or by a member of their team; reddest first."""
    projects = Project.objects.for_user(user).filter(is_key=True)
    if level:
        projects = projects.filter(warning_level=level)
    if task_force:
        projects = projects.filter(task_force=task_force)
    if lead is not None:
        projects = projects.filter(
            Exists(
                EscortMember.objects.filter(project=OuterRef("pk"), user=lead, role=EscortMember.Role.LEAD)
            )
        )
    if member is not None:
        projects = projects.filter(Exists(EscortMember.objects.filter(project=OuterRef("pk"), user=member)))
    if department is not None:
        projects = projects.filter(
            Exists(
                EscortMember.objects.filter(
                    project=OuterRef("pk"), user__department=department, role=EscortMember.Role.SPECIALIST
                )
            )
        )
    return projects


LEVELS = [Level.RED, Level.YELLOW, Level.GREEN]


def listed_key_projects(user, filters: dict):
    """The key projects of the list page and its Excel export, by the list's filters (`forms.KeyProjectFilter`):
    name or code, task force, only those the reader escorts — all but the colour, which the list counts."""
    member = user if filters.get("mine") else None
    projects = key_projects(user, task_force=filters.get("task_force") or "", member=member)
    if filters.get("q"):
        projects = projects.filter(Q(name__icontains=filters["q"]) | Q(code__startswith=filters["q"]))
    return projects


def level_counts(projects) -> dict[str, int]:
    """{colour: count} of a list of projects, each counted no further than `paging.COUNT_CAP` + 1 by the
    index on the colour (`project_warning_idx`): a grouped count of a whole zone would read every key
    project on every page view."""
    return {level: capped_count(projects.filter(warning_level=level)) for level in LEVELS}


# The distinct task forces by a loose index scan: each step reads the next name from the index on
# `task_force` (`project_task_force_idx`), so a handful of names costs a handful of index probes, where a
# DISTINCT reads every project. Plain SQL that SQLite and PostgreSQL both run.
TASK_FORCES_SQL = """
WITH RECURSIVE names(name) AS (
    SELECT MIN(task_force) FROM projects_project WHERE task_force > ''
    UNION ALL
    SELECT (SELECT MIN(task_force) FROM projects_project WHERE task_force > names.name)
    FROM names WHERE names.name IS NOT NULL
)
SELECT name FROM names WHERE name IS NOT NULL
"""


def task_forces() -> list[str]:
    """The task forces (专班) that projects name, in order."""
    with connection.cursor() as cursor:
        cursor.execute(TASK_FORCES_SQL)
        return [name for (name,) in cursor.fetchall()]


# --- the "三比一争" campaign ----------------------------------------------------------------------------------


def campaigns(user):
    """The campaigns, newest first, with how many of their rounds this reader may see."""
    visible = CampaignRound.objects.for_user(user).filter(campaign=OuterRef("pk"))
    return Campaign.objects.for_user(user).annotate(
        rounds_published=Count("rounds", filter=Q(rounds__status=CampaignRound.Status.PUBLISHED)),
        rounds_total=Count("rounds"),
        has_visible=Exists(visible),
    )


def rounds_of(user, campaign):
    return CampaignRound.objects.for_user(user).filter(campaign=campaign).order_by("number")


def ranking(user, round_, distinction: str = ""):
    """The round's places this reader may see, first place first (the index `round_score_rank_idx`)."""
    scores = RoundScore.objects.for_user(user).filter(round=round_)
    if distinction:
        scores = scores.filter(distinction=distinction)
    return scores.select_related("project", "project__enterprise").order_by("rank", "project_id")


@dataclass
class HistoryRow:
    project: object
    places: list  # the RoundScore of each round in order, or None where it took no place visible here


def history(user, campaign, rounds: list) -> list[HistoryRow]:
    """Across the visible rounds, each project that was a pioneer or called to a talk in one of them, with its
    place in every round: the campaign's history at a glance (at most rounds × named places rows)."""
    named = (
        RoundScore.objects.for_user(user)
        .filter(round__in=rounds)
        .exclude(distinction="")
        .values_list("project_id", flat=True)
        .distinct()
    )
    scores = (
        RoundScore.objects.for_user(user)
        .filter(round__in=rounds, project_id__in=named)
        .select_related("project")
    )
    places: dict[int, dict] = {}
    projects = {}
    for score in scores:
        projects[score.project_id] = score.project
        places.setdefault(score.project_id, {})[score.round_id] = score
    rows = [HistoryRow(projects[pk], [places[pk].get(r.pk) for r in rounds]) for pk in places]
    latest = [r.pk for r in reversed(rounds)]

    def order(row):
        ranks = [places[row.project.pk].get(pk) for pk in latest]
        return [score.rank if score else 10**9 for score in ranks] + [row.project.pk]

    return sorted(rows, key=order)


def places_of(user, project):
    """The project's places in the rounds this reader may see, latest first."""
    return (
        RoundScore.objects.for_user(user)
        .filter(project=project)
        .select_related("round", "round__campaign")
        .order_by("-round__ends_on", "-round_id")
    )
