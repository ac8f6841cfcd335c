"""Reads of the project file that pages and the API share: the schedule (milestones of the project and of
each phase, planned against actual), the escort team with the consent in force, the monthly reports, the
service log, and the lists of projects by warning colour, leader, task force or department. Each read is a
fixed number of queries whatever the number of rows."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef

from sciencecity.accounts.scoping import sees_everything
from sciencecity.workdays import clock

from .models import (
    EscortMember,
    Inspection,
    InvestmentPlan,
    Level,
    Milestone,
    MonthlyReport,
    PhaseChange,
    Project,
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


def level_counts(projects) -> dict[str, int]:
    """{colour: count} of a list of projects (one grouped query)."""
    found = dict(projects.order_by().values_list("warning_level").annotate(n=Count("pk")))
    return {level: found.get(level, 0) for level in LEVELS}


def task_forces() -> list[str]:
    return list(
        Project.objects.exclude(task_force="")
        .order_by("task_force")
        .values_list("task_force", flat=True)
        .distinct()
    )
