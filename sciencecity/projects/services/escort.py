"""The "1+N+5" escort of a project (项目护航): its team, the enterprise's help-and-do consent, the service log,
and the supervisors' notes.

- The team is formed by those holding `projects.manage_escort` (the zone's administrators and leaders): one
  lead (the "1": a leading official or the head of the task force), service specialists (the "N", civil
  servants of the departments the project needs), a party-building instructor.
- Help-and-do (帮办代办) needs the enterprise's consent, which only the enterprise's own people grant and
  revoke; while it is in force, the team's lead and specialists may prepare applications for the project in
  the approval engine (`approvals.services.help`), which the enterprise then reviews and submits itself.
- The service log: the team records visits, help, coordination of problems and supervision of progress; the
  enterprise records its evaluation of the service (a score of 1–5).
- Supervisors (纪检) holding `projects.supervise_project` follow key projects and write notes.
"""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sciencecity.accounts.scoping import is_civil_servant
from sciencecity.audit import record
from sciencecity.problems.models import Problem
from sciencecity.text import reject_control_characters
from sciencecity.workdays import clock
from sciencecity.workflow.errors import field_error

from ..models import EscortConsent, EscortMember, Project, ServiceLog, SupervisionNote

MANAGE = "projects.manage_escort"
SUPERVISE = "projects.supervise_project"
MAX_TEXT = 2000
Role = EscortMember.Role
Kind = ServiceLog.Kind
TEAM_KINDS = (Kind.VISIT, Kind.HELP, Kind.COORDINATE, Kind.SUPERVISE)
HELPERS = (Role.LEAD, Role.SPECIALIST)  # who may prepare applications by help-and-do


def _locked(project: Project) -> Project:
    return Project.objects.select_for_update().get(pk=project.pk)


def clean_text(field: str, value: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise field_error(field, _("此项为必填项。"), "required")
    if len(value) > limit:
        raise field_error(field, _("不能超过 %(n)s 个字。") % {"n": limit}, "max_length")
    try:
        return reject_control_characters(value, multiline=True)
    except ValidationError as error:
        raise field_error(field, error.messages[0], "control_characters") from None


def role_of(user, project: Project) -> str | None:
    """The user's role in the project's escort team, or None."""
    if user is None or not user.is_authenticated:
        return None
    return EscortMember.objects.filter(project=project, user=user).values_list("role", flat=True).first()


def is_own_enterprise(user, project: Project) -> bool:
    return bool(user is not None and user.is_authenticated and user.enterprise_id == project.enterprise_id)


# --- the team -------------------------------------------------------------------------------------------------


@transaction.atomic
def set_member(user, project: Project, member, role: str, duty: str = "") -> EscortMember:
    """Put `member` on the project's escort team in `role` (or change their role and duty). The lead is one
    person: naming another lead makes the previous one a specialist."""
    if user is not None and not user.has_perm(MANAGE):
        raise PermissionDenied(_("您没有组建护航团队的权限。"))
    project = _locked(project)
    if role not in Role.values:
        raise field_error("role", _("未知的团队角色:%(role)s。") % {"role": role}, "unknown_role")
    member = get_user_model().objects.filter(pk=getattr(member, "pk", member), is_active=True).first()
    if member is None or not is_civil_servant(member):
        raise field_error("user", _("护航团队成员须为在岗的机关工作人员。"), "not_civil_servant")
    if role == Role.SPECIALIST and not member.department_id:
        raise field_error("user", _("服务专员须属于一个部门。"), "no_department")
    duty = clean_text("duty", duty, required=False, limit=200)
    if role == Role.LEAD:
        previous = EscortMember.objects.filter(project=project, role=Role.LEAD).exclude(user=member).first()
        if previous is not None:
            previous.role = Role.SPECIALIST if previous.user.department_id else Role.INSTRUCTOR
            previous.save(update_fields=["role"])
    existing = EscortMember.objects.filter(project=project, user=member).first()
    before = {"role": existing.role, "duty": existing.duty} if existing else None
    if existing is None:
        existing = EscortMember(project=project, user=member, since=clock.today())
    existing.role, existing.duty = role, duty
    if before == {"role": role, "duty": duty}:
        return existing
    existing.save()
    record(user, "projects.set_escort_member", project, before=before, after=_member(existing))
    return existing


def _member(member: EscortMember) -> dict:
    return {"user": member.user_id, "name": str(member.user), "role": member.role, "duty": member.duty}


@transaction.atomic
def remove_member(user, project: Project, member) -> None:
    if user is not None and not user.has_perm(MANAGE):
        raise PermissionDenied(_("您没有组建护航团队的权限。"))
    project = _locked(project)
    row = EscortMember.objects.filter(project=project, user_id=getattr(member, "pk", member)).first()
    if row is None:
        raise field_error("user", _("该人员不在本项目的护航团队中。"), "not_a_member")
    before = _member(row)
    row.delete()
    record(user, "projects.remove_escort_member", project, before=before)


# --- help-and-do consent --------------------------------------------------------------------------------------


def consent_in_force(project: Project, today: datetime.date | None = None) -> EscortConsent | None:
    """The enterprise's help-and-do consent for the project that is in force today, or None."""
    today = today or clock.today()
    for consent in EscortConsent.objects.filter(project=project, revoked_at__isnull=True).order_by(
        "-granted_at", "-id"
    ):
        if consent.in_force(today):
            return consent
    return None


def may_help(user, project: Project) -> bool:
    """Whether `user` may prepare applications for the project now: a lead or specialist of its team, with
    the enterprise's consent in force."""
    return role_of(user, project) in HELPERS and consent_in_force(project) is not None


@transaction.atomic
def grant_consent(
    user, project: Project, scope: str, valid_until: datetime.date | None = None
) -> EscortConsent:
    """The enterprise consents to help-and-do for its project (only its own people may)."""
    project = _locked(project)
    if not is_own_enterprise(user, project) or not user.has_perm("projects.change_project"):
        raise PermissionDenied(_("只有项目所属企业可以授权帮办代办。"))
    scope = clean_text("scope", scope, limit=300)
    if valid_until is not None and valid_until < clock.today():
        raise field_error("valid_until", _("有效期不能早于今天。"), "valid_until_past")
    consent = EscortConsent.objects.create(
        project=project, granted_by=user, scope=scope, valid_until=valid_until
    )
    record(
        user,
        "projects.grant_consent",
        project,
        after={"consent": consent.pk, "scope": scope, "valid_until": _iso(valid_until)},
    )
    return consent


def _iso(day):
    return day.isoformat() if day else None


@transaction.atomic
def revoke_consent(user, project: Project) -> EscortConsent:
    """The enterprise withdraws its consent: drafts already prepared stay its own drafts, but no specialist
    may prepare or change one any more."""
    project = _locked(project)
    if not is_own_enterprise(user, project) or not user.has_perm("projects.change_project"):
        raise PermissionDenied(_("只有项目所属企业可以撤回帮办代办授权。"))
    consent = consent_in_force(project)
    if consent is None:
        raise field_error("consent", _("该项目没有生效的帮办代办授权。"), "no_consent")
    consent.revoked_at, consent.revoked_by = clock.now(), user
    consent.save(update_fields=["revoked_at", "revoked_by"])
    record(user, "projects.revoke_consent", project, before={"consent": consent.pk}, after={"revoked": True})
    return consent


# --- the service log ----------------------------------------------------------------------------------------


@transaction.atomic
def log_service(
    user,
    project: Project,
    kind: str,
    note: str,
    *,
    served_on: datetime.date | None = None,
    problem: Problem | int | None = None,
    score: int | None = None,
) -> ServiceLog:
    """Record one escort service. The team records visits, help, coordination (naming the project's problem
    it was about, if any) and supervision; the project's enterprise records its evaluation (with a score)."""
    project = _locked(project)
    if kind not in Kind.values:
        raise field_error("kind", _("未知的服务类型:%(kind)s。") % {"kind": kind}, "unknown_kind")
    if user is None:
        raise ValueError("a service is recorded by a person")
    if kind == Kind.EVALUATION:
        if not is_own_enterprise(user, project):
            raise PermissionDenied(_("服务评价由项目所属企业填写。"))
        if score is None or not 1 <= int(score) <= 5:
            raise field_error("score", _("请给出 1 至 5 分的评分。"), "score_required")
    else:
        if role_of(user, project) is None:
            raise PermissionDenied(_("只有本项目护航团队的成员可以记录护航服务。"))
        if score is not None:
            raise field_error("score", _("只有企业评价带评分。"), "score_not_allowed")
        if kind == Kind.HELP and consent_in_force(project) is None:
            raise field_error("kind", _("企业尚未授权帮办代办,不能记录代办服务。"), "no_consent")
    served_on = served_on or clock.today()
    if served_on > clock.today():
        raise field_error("served_on", _("服务日期不能晚于今天。"), "served_in_future")
    if problem is not None:
        problem_pk = getattr(problem, "pk", problem)
        problem = Problem.objects.filter(pk=problem_pk, project=project).first()
        if problem is None:
            raise field_error("problem", _("该问题不属于本项目。"), "problem_not_of_project")
    log = ServiceLog.objects.create(
        project=project,
        kind=kind,
        served_on=served_on,
        note=clean_text("note", note),
        actor=user,
        problem=problem,
        score=score,
    )
    record(user, "projects.log_service", project, after=_log(log))
    return log


def _log(log: ServiceLog) -> dict:
    return {
        "service_log": log.pk,
        "kind": log.kind,
        "served_on": log.served_on.isoformat(),
        **({"problem": log.problem_id} if log.problem_id else {}),
        **({"application": log.application_id} if log.application_id else {}),
        **({"score": log.score} if log.score else {}),
    }


def record_help(user, project: Project, application_id: int, note: str) -> ServiceLog:
    """The help-and-do entry of an application prepared for the project (called by the approval engine in
    the transaction that creates the draft, after it has checked `may_help`)."""
    log = ServiceLog.objects.create(
        project=project,
        kind=Kind.HELP,
        served_on=clock.today(),
        note=note[:MAX_TEXT],
        actor=user,
        application_id=application_id,
    )
    record(user, "projects.log_service", project, after=_log(log))
    return log


# --- supervision -------------------------------------------------------------------------------------------


@transaction.atomic
def add_supervision_note(user, project: Project, text: str) -> SupervisionNote:
    if user is None or not user.has_perm(SUPERVISE):
        raise PermissionDenied(_("只有纪检监督人员可以记录监督意见。"))
    project = _locked(project)
    note = SupervisionNote.objects.create(project=project, author=user, text=clean_text("text", text))
    record(user, "projects.add_supervision_note", project, after={"note": note.pk})
    return note
