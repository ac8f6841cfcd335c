"""The schedule of a project: its milestones (planned and actual dates, per phase of a multi-phase project),
its phases (分期) and its annual investment plans. Who may write: the system, the zone's civil servants holding
`projects.change_project` (service specialists, administrators), and the project's own enterprise — the same
right as for the project's registered data (`registry.require_right`).
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.workdays import clock
from sciencecity.workflow.errors import field_error

from ..models import (
    InvestmentPlan,
    Milestone,
    MilestoneKind,
    MonthlyReport,
    Project,
    ProjectStage,
    ProjectType,
    YearCategory,
)
from .registry import require_right

CHANGE = "projects.change_project"

# The project types every zone starts with (made by migration 0004, and again here if an administrator
# deleted the default one): buildings and linear works (roads, tunnels, pipe galleries), with their milestones
# in order as (code, name, English name, mark).
DEFAULT_TYPE = "building"
DEFAULT_TYPES = {
    "building": (
        "房屋建筑类",
        "Buildings",
        (
            ("land", "用地", "Land", "land"),
            ("start", "开工", "Construction start", "start"),
            ("foundation", "基础完工", "Foundation completed", ""),
            ("topping-out", "主体封顶", "Topping out", ""),
            ("acceptance", "竣工验收", "Completion acceptance", "completion"),
            ("operation", "投用", "In operation", "operation"),
        ),
    ),
    "linear": (
        "道路隧道管网类",
        "Roads, tunnels and pipelines",
        (
            ("land", "用地", "Land", "land"),
            ("start", "开工", "Construction start", "start"),
            ("breakthrough", "主体贯通", "Main works through", ""),
            ("acceptance", "竣工验收", "Completion acceptance", "completion"),
            ("operation", "通车投用", "Open to traffic", "operation"),
        ),
    ),
}


def ensure_type(code: str = DEFAULT_TYPE) -> ProjectType:
    """The project type `code` of `DEFAULT_TYPES`, made with its milestones if it does not exist."""
    name, name_en, milestones = DEFAULT_TYPES[code]
    order = list(DEFAULT_TYPES).index(code)
    project_type, created = ProjectType.objects.get_or_create(
        code=code, defaults={"name": name, "name_en": name_en, "order": order}
    )
    if created or not project_type.milestones.exists():
        MilestoneKind.objects.bulk_create(
            MilestoneKind(
                project_type=project_type, code=kind, name=label, name_en=label_en, marks=mark, order=index
            )
            for index, (kind, label, label_en, mark) in enumerate(milestones)
        )
    return project_type


def type_of(project: Project) -> ProjectType:
    return project.project_type if project.project_type_id else ensure_type()


def milestone_kinds(project: Project) -> list[MilestoneKind]:
    return list(type_of(project).milestones.order_by("order", "code"))


def _locked(project: Project) -> Project:
    return Project.objects.select_for_update().get(pk=project.pk)


def _check_not_future(field: str, day: datetime.date | None) -> None:
    if day is not None and day > clock.today():
        raise field_error(field, _("实际日期不能晚于今天。"), "actual_in_future")


@transaction.atomic
def set_milestone(
    user,
    project: Project,
    kind: str,
    *,
    stage: ProjectStage | int | None = None,
    planned_on: datetime.date | None = None,
    actual_on: datetime.date | None = None,
) -> Milestone:
    """Set the planned and actual dates of the milestone `kind` (a code of the project's type) of the project,
    or of one of its phases (`stage`). Both dates are given as they should stand (None clears one)."""
    project = _locked(project)
    require_right(user, CHANGE, project.enterprise_id, _("您没有修改项目计划的权限。"))
    found = {item.code: item for item in milestone_kinds(project)}
    if kind not in found:
        raise field_error(
            "kind",
            _("“%(kind)s”不是该类项目的里程碑,可选:%(choices)s。")
            % {"kind": kind, "choices": "、".join(item.display_name for item in found.values())},
            "unknown_milestone",
        )
    if stage is not None:
        stage_pk = stage.pk if isinstance(stage, ProjectStage) else stage
        stage = ProjectStage.objects.filter(project=project, pk=stage_pk).first()
        if stage is None:
            raise field_error("stage", _("该项目没有这一分期。"), "unknown_stage")
    _check_not_future("actual_on", actual_on)
    milestone, _created = Milestone.objects.get_or_create(project=project, stage=stage, kind=found[kind])
    before = {"planned_on": _iso(milestone.planned_on), "actual_on": _iso(milestone.actual_on)}
    milestone.planned_on, milestone.actual_on = planned_on, actual_on
    after = {"planned_on": _iso(planned_on), "actual_on": _iso(actual_on)}
    if after == before:
        return milestone
    milestone.save(update_fields=["planned_on", "actual_on"])
    record(
        user,
        "projects.set_milestone",
        project,
        before=before,
        after={**after, "milestone": kind, **({"stage": stage.number} if stage else {})},
    )
    return milestone


def _iso(day):
    return day.isoformat() if day else None


@transaction.atomic
def add_stage(user, project: Project, name: str) -> ProjectStage:
    """Add the next phase (分期) of a multi-phase project, e.g. "二期"; its milestones are set like the
    project's."""
    project = _locked(project)
    require_right(user, CHANGE, project.enterprise_id, _("您没有修改项目计划的权限。"))
    name = (name or "").strip()
    if not name:
        raise field_error("name", _("请填写分期名称。"), "required")
    if len(name) > 100:
        raise field_error("name", _("分期名称不能超过 100 个字。"), "max_length")
    if ProjectStage.objects.filter(project=project, name=name).exists():
        raise field_error("name", _("该项目已有名为“%(name)s”的分期。") % {"name": name}, "stage_exists")
    number = (project.stages.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    stage = ProjectStage.objects.create(project=project, number=number, name=name)
    record(user, "projects.add_stage", project, after={"stage": number, "name": name})
    return stage


@transaction.atomic
def set_plan(
    user, project: Project, year: int, category: str, planned: Decimal, goal: str = ""
) -> InvestmentPlan:
    """Set the project's plan for `year` (年度计划): its category that year and the investment to complete.
    The completed amount is kept by the monthly reports and not set here."""
    project = _locked(project)
    require_right(user, CHANGE, project.enterprise_id, _("您没有修改项目计划的权限。"))
    errors = {}
    today = clock.today()
    if not isinstance(year, int) or not today.year - 5 <= year <= today.year + 1:
        errors["year"] = _("年度应在 %(first)s 至 %(last)s 之间。") % {
            "first": today.year - 5,
            "last": today.year + 1,
        }
    if category not in YearCategory.values:
        errors["category"] = _("未知的年度类别:%(category)s。") % {"category": category}
    try:
        planned = Decimal(str(planned)).quantize(Decimal("0.01"))
    except ArithmeticError:
        errors["planned"] = _("请输入金额。")
    else:
        if planned < 0:
            errors["planned"] = _("计划投资不能为负数。")
        elif planned > project.total_investment:
            errors["planned"] = _("年度计划投资不能超过项目总投资(%(total)s 万元)。") % {
                "total": project.total_investment
            }
    if len(goal or "") > 300:
        errors["goal"] = _("形象进度目标不能超过 300 个字。")
    if errors:
        raise ValidationError(errors)
    plan = InvestmentPlan.objects.filter(project=project, year=year).first()
    before = None
    if plan is None:
        reported = MonthlyReport.objects.filter(project=project, month__year=year).aggregate(
            sum=Sum("investment")
        )
        plan = InvestmentPlan(project=project, year=year, completed=reported["sum"] or 0)
    else:
        before = {"category": plan.category, "planned": str(plan.planned), "goal": plan.goal}
    plan.category, plan.planned, plan.goal = category, planned, (goal or "").strip()
    after = {"category": category, "planned": str(planned), "goal": plan.goal}
    if before == after:
        return plan
    plan.save()
    record(user, "projects.set_plan", project, before=before, after={"year": year, **after})
    return plan
