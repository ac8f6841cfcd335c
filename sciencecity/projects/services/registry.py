"""Every write to the project registry: registration, updates and phase changes, each validated and audited.

Who may do what:

- the system (`user=None`: the demo generator, ledger imports) may do everything;
- civil servants holding `projects.add_project` / `projects.change_project` (administrators, service
  specialists) act on any project of the zone;
- enterprise applicants hold the same permissions but act only for their own enterprise, and may not
  designate key projects (重点项目 are designated by the zone's government).
"""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sciencecity.accounts.scoping import is_civil_servant
from sciencecity.audit import record
from sciencecity.audit.services import snapshot
from sciencecity.i18n import join_list
from sciencecity.workdays import clock

from ..models import PhaseChange, Project

Phase = Project.Phase

# The fields a caller may set. `phase` only at registration (a project may enter the registry in any
# phase, e.g. from a ledger); afterwards it changes through `change_project_phase` alone.
PROJECT_FIELDS = frozenset(
    {
        "code",
        "name",
        "enterprise",
        "investment_type",
        "total_investment",
        "land_area",
        "floor_area",
        "location",
        "phase",
        "is_key",
        "project_type",
        "task_force",
        "prior_investment",
    }
)

# The phase state machine as one literal table (ARCHITECTURE.md rule 2): from-phase, to-phase, permission.
# A project moves forward one or more steps (a phase may be passed through on the same day and reported
# late); it never moves backwards, and the last phase has no way out.
PHASE_TRANSITIONS: tuple[tuple[str, str, str], ...] = (
    (Phase.SIGNED, Phase.LAND_SUPPLIED, "projects.change_project"),
    (Phase.SIGNED, Phase.APPROVAL, "projects.change_project"),
    (Phase.SIGNED, Phase.STARTED, "projects.change_project"),
    (Phase.SIGNED, Phase.UNDER_CONSTRUCTION, "projects.change_project"),
    (Phase.SIGNED, Phase.COMPLETED, "projects.change_project"),
    (Phase.SIGNED, Phase.IN_OPERATION, "projects.change_project"),
    (Phase.LAND_SUPPLIED, Phase.APPROVAL, "projects.change_project"),
    (Phase.LAND_SUPPLIED, Phase.STARTED, "projects.change_project"),
    (Phase.LAND_SUPPLIED, Phase.UNDER_CONSTRUCTION, "projects.change_project"),
    (Phase.LAND_SUPPLIED, Phase.COMPLETED, "projects.change_project"),
    (Phase.LAND_SUPPLIED, Phase.IN_OPERATION, "projects.change_project"),
    (Phase.APPROVAL, Phase.STARTED, "projects.change_project"),
    (Phase.APPROVAL, Phase.UNDER_CONSTRUCTION, "projects.change_project"),
    (Phase.APPROVAL, Phase.COMPLETED, "projects.change_project"),
    (Phase.APPROVAL, Phase.IN_OPERATION, "projects.change_project"),
    (Phase.STARTED, Phase.UNDER_CONSTRUCTION, "projects.change_project"),
    (Phase.STARTED, Phase.COMPLETED, "projects.change_project"),
    (Phase.STARTED, Phase.IN_OPERATION, "projects.change_project"),
    (Phase.UNDER_CONSTRUCTION, Phase.COMPLETED, "projects.change_project"),
    (Phase.UNDER_CONSTRUCTION, Phase.IN_OPERATION, "projects.change_project"),
    (Phase.COMPLETED, Phase.IN_OPERATION, "projects.change_project"),
)
_TRANSITION_PERMISSION = {(source, target): permission for source, target, permission in PHASE_TRANSITIONS}


def _label(phase: str) -> str:
    try:
        return str(Phase(phase).label)
    except ValueError:
        return str(phase)


def check_phase_transition(source: str, target: str) -> str:
    """Return the permission that moving from `source` to `target` needs, or raise a ValidationError why not."""
    if target not in Phase.values:
        raise ValidationError(
            {"phase": _("未知的项目阶段:%(phase)s。") % {"phase": target}}, code="unknown_phase"
        )
    if source == target:
        raise ValidationError(
            {"phase": _("项目已处于“%(phase)s”阶段。") % {"phase": _label(target)}}, code="same_phase"
        )
    permission = _TRANSITION_PERMISSION.get((source, target))
    if permission is None:
        if source == Phase.IN_OPERATION:
            message = _("项目已投用,阶段不能再变更。")
        else:
            message = _("项目阶段只能向前推进,不能从“%(source)s”退回“%(target)s”。") % {
                "source": _label(source),
                "target": _label(target),
            }
        raise ValidationError({"phase": message}, code="backward_phase")
    return permission


def _check_fields(fields: dict, allowed=PROJECT_FIELDS) -> None:
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise TypeError(f"unknown or not directly settable project fields: {', '.join(unknown)}")


def require_right(user, permission: str, enterprise_id, message: str) -> None:
    """Refuse unless the system acts, a civil servant holds `permission`, or an applicant acts for its own
    enterprise (`enterprise_id`)."""
    if user is None:
        return
    if not user.has_perm(permission):
        raise PermissionDenied(message)
    if is_civil_servant(user):
        return
    if not user.enterprise_id or user.enterprise_id != enterprise_id:
        raise PermissionDenied(_("企业申请人只能登记和修改本企业的项目。"))


def _refuse_key_designation_by_applicant(
    user, project: Project, was_key: bool = False, was_task_force: str = ""
) -> None:
    if user is None or is_civil_servant(user):
        return
    if project.is_key != was_key:
        raise PermissionDenied(_("重点项目由管理部门认定,企业申请人不能设置。"))
    if project.task_force != was_task_force:
        raise PermissionDenied(_("工作专班由管理部门确定,企业申请人不能设置。"))


# The phases an enterprise may register its own project in: a project already started, completed or in
# operation enters the registry from the zone's ledger, by civil servants who can vouch for its history.
APPLICANT_PHASES = (Project.Phase.SIGNED, Project.Phase.LAND_SUPPLIED, Project.Phase.APPROVAL)


def _refuse_late_phase_by_applicant(user, project: Project) -> None:
    if user is None or is_civil_servant(user) or project.phase in APPLICANT_PHASES:
        return
    raise ValidationError(
        {
            "phase": _("企业只能登记处于“%(phases)s”阶段的项目;已开工的项目请联系管理部门录入。")
            % {"phases": join_list(Project.Phase(phase).label for phase in APPLICANT_PHASES)}
        },
        code="phase_not_for_applicant",
    )


def _check_code_available(project: Project) -> None:
    holder = Project.objects.filter(code=project.code).exclude(pk=project.pk).only("name").first()
    if holder is not None:
        raise ValidationError(
            {
                "code": _("项目代码 %(code)s 已被项目“%(name)s”使用。")
                % {"code": project.code, "name": holder.name}
            },
            code="project_code_taken",
        )


def _apply(project: Project, fields: dict) -> None:
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(project, name, value)


@transaction.atomic
def register_project(user, **fields) -> Project:
    """Register a project of an enterprise (`enterprise=`), with its unified project code."""
    _check_fields(fields)
    project = Project()
    _apply(project, fields)
    project.investment_to_date = project.prior_investment  # the reports add theirs (`reports`)
    require_right(user, "projects.add_project", project.enterprise_id, _("您没有登记项目的权限。"))
    _refuse_key_designation_by_applicant(user, project)
    _refuse_late_phase_by_applicant(user, project)
    if project.code:
        _check_code_available(project)
    project.full_clean()
    project.save()
    _history(user, project, "", clock.today())
    record(user, "projects.register_project", project, before=None, after=snapshot(project))
    return project


@transaction.atomic
def update_project(user, project: Project, **fields) -> Project:
    """Change a project's registered data (not its phase: see `change_project_phase`)."""
    _check_fields(fields, PROJECT_FIELDS - {"phase"})
    project = Project.objects.select_for_update().get(pk=project.pk)
    message = _("您没有修改项目的权限。")
    require_right(user, "projects.change_project", project.enterprise_id, message)
    before = snapshot(project)
    prior = project.prior_investment
    _apply(project, fields)
    if project.prior_investment != prior:
        project.investment_to_date += Decimal(str(project.prior_investment)) - prior
    if snapshot(project) == before:
        return project
    # Moving a project to another enterprise needs the right to act for that one too.
    require_right(user, "projects.change_project", project.enterprise_id, message)
    _refuse_key_designation_by_applicant(
        user, project, was_key=before["is_key"], was_task_force=before["task_force"]
    )
    if project.code != before["code"]:
        _check_code_available(project)
    project.full_clean()
    project.save()
    record(user, "projects.update_project", project, before=before, after=snapshot(project))
    return project


@transaction.atomic
def change_project_phase(
    user, project: Project, phase: str, *, on: datetime.date | None = None, note: str = ""
) -> Project:
    """Move a project forward to `phase` along `PHASE_TRANSITIONS`; anything else is a clear error. `on` is
    the day it happened (today when left out): a phase reported late keeps its real date in the history, but
    never a day in the future nor one before the previous change."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    permission = check_phase_transition(project.phase, phase)
    require_right(user, permission, project.enterprise_id, _("您没有变更项目阶段的权限。"))
    on = on or clock.today()
    if on > clock.today():
        raise ValidationError({"on": _("变更日期不能晚于今天。")}, code="phase_date_future")
    # The registration's row (no previous phase) dates the entry into the registry, not a change: a phase
    # reached before the project was registered may be dated before it.
    last = (
        project.phase_changes.exclude(from_phase="")
        .order_by("-changed_on", "-id")
        .values_list("changed_on", flat=True)
        .first()
    )
    if last is not None and on < last:
        raise ValidationError(
            {"on": _("变更日期不能早于上一次阶段变更(%(date)s)。") % {"date": last.isoformat()}},
            code="phase_date_before_last",
        )
    before = snapshot(project)
    project.phase = phase
    project.full_clean()
    project.save(update_fields=["phase", "updated_at"])
    _history(user, project, before["phase"], on, note)
    record(
        user,
        "projects.change_project_phase",
        project,
        before=before,
        after={**snapshot(project), "on": on.isoformat(), **({"note": note} if note else {})},
    )
    return project


def _history(user, project: Project, from_phase: str, on: datetime.date, note: str = "") -> PhaseChange:
    return PhaseChange.objects.create(
        project=project,
        from_phase=from_phase,
        to_phase=project.phase,
        changed_on=on,
        note=(note or "").strip()[:500],
        actor=user if getattr(user, "is_authenticated", False) else None,
    )


def next_project_code(year: int, region: str, industry: str, project_type: str, first_serial: int = 1) -> str:
    """The next free unified project code (年份-行政区划-行业-类型-流水号) with this prefix.

    `region` is the 6-digit administrative division code, `industry` the 2-digit national industry division
    (GB/T 4754, e.g. 39 electronics), `project_type` 01 审批 / 02 核准 / 03 备案. Serials count up from the
    highest one in use under the prefix, or start at `first_serial`. Used by the demo generator; the real codes
    are issued by the national investment-project platform and entered as they are.
    """
    prefix = f"{year:04d}-{region}-{industry}-{project_type}-"
    highest = (
        Project.objects.filter(code__startswith=prefix)
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    serial = int(highest.rsplit("-", 1)[1]) + 1 if highest else first_serial
    if not 1 <= serial <= 999_999:
        raise ValueError(f"no free project serial under {prefix}")
    return f"{prefix}{serial:06d}"
