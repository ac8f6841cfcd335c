"""Pioneer teams (红岩先锋队) and project alliances (项目党建联盟): their one write path.

A team is formed by the keepers of its leading organization; its links name the platform records it serves
(projects, enterprises, problem categories, areas, bundles), from which `outcomes` counts what it achieved;
its members are members the former may read (their own organizations' or those below). An alliance gathers
the organizations of the government, the owner enterprise and the builders around one project.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.problems.geo import area_by_code
from sciencecity.workdays import clock
from sciencecity.workflow.errors import not_found

from ..access import require_keeper
from ..models import Alliance, AllianceMember, Organization, PartyMember, PioneerTeam, TeamLink, TeamMember

LINK_KINDS = TeamLink.Kind.values


def _text(value, field: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: _("请填写此项。")})
    if len(text) > limit:
        raise ValidationError({field: _("不能超过%(limit)s个字。") % {"limit": limit}})
    return text


def _date(value, field: str) -> datetime.date:
    value = value or clock.today()
    if value > clock.today():
        raise ValidationError({field: _("日期不能晚于今天。")})
    return value


def form_team(
    user, organization: Organization, *, name: str, mission: str, formed_on: datetime.date | None = None
) -> PioneerTeam:
    require_keeper(user, organization)
    if not organization.is_active:
        raise ValidationError({"organization": _("该党组织已撤销。")})
    fields = {"name": _text(name, "name", 120), "mission": _text(mission, "mission", 5000)}
    with transaction.atomic():
        team = PioneerTeam.objects.create(
            organization=organization, formed_on=_date(formed_on, "formed_on"), created_by=user, **fields
        )
        record(user, "partybuilding.form_team", team, after={**fields, "organization": organization.pk})
    return team


def link(user, team: PioneerTeam, kind: str, target) -> TeamLink:
    """Tie `team` to one record: a project, enterprise, problem category or bundle (objects) or an area (a
    code); the same link twice is refused."""
    require_keeper(user, team.organization)
    if kind not in LINK_KINDS:
        raise ValidationError({"kind": _("联系对象类别不正确。")})
    if kind == TeamLink.Kind.AREA:
        target = (target or "").strip()
        if area_by_code(target) is None:
            raise ValidationError({"area": _("区域不存在,请从本区的街道、镇中选择。")})
    elif target is None:
        raise ValidationError({kind: _("请选择联系对象。")})
    try:
        with transaction.atomic():
            row = TeamLink.objects.create(team=team, kind=kind, **{kind: target})
    except IntegrityError:
        raise ValidationError({kind: _("该联系对象已经在先锋队中。")}) from None
    record(user, "partybuilding.link", team, after={"kind": kind, "target": str(target)})
    return row


def unlink(user, row: TeamLink) -> None:
    require_keeper(user, row.team.organization)
    with transaction.atomic():
        row.delete()
        record(user, "partybuilding.unlink", row.team, before={"kind": row.kind, "target": str(row.pk)})


def enlist(user, team: PioneerTeam, member: PartyMember, role: str = TeamMember.Role.MEMBER) -> TeamMember:
    """Put a member in the team: one the former may read, still in the zone."""
    require_keeper(user, team.organization)
    if user is not None and not PartyMember.objects.for_user(user).filter(pk=member.pk).exists():
        raise not_found(PartyMember)
    if member.left_on is not None:
        raise ValidationError({"member": _("该党员的组织关系已转出本区。")})
    if role not in TeamMember.Role.values:
        raise ValidationError({"role": _("队内职责不正确。")})
    try:
        with transaction.atomic():
            row = TeamMember.objects.create(team=team, member=member, role=role)
            record(user, "partybuilding.enlist", team, after={"member": member.pk, "role": role})
    except IntegrityError:
        raise ValidationError({"member": _("该党员已经在先锋队中。")}) from None
    return row


def dismiss(user, row: TeamMember) -> None:
    require_keeper(user, row.team.organization)
    with transaction.atomic():
        row.delete()
        record(user, "partybuilding.dismiss", row.team, before={"member": row.member_id})


def form_alliance(
    user,
    project,
    lead: Organization,
    *,
    name: str,
    charter: str = "",
    formed_on: datetime.date | None = None,
) -> Alliance:
    require_keeper(user, lead)
    if not lead.is_active:
        raise ValidationError({"lead": _("该党组织已撤销。")})
    fields = {"name": _text(name, "name", 120), "charter": (charter or "").strip()[:5000]}
    with transaction.atomic():
        alliance = Alliance.objects.create(
            project=project, lead=lead, formed_on=_date(formed_on, "formed_on"), **fields
        )
        AllianceMember.objects.create(
            alliance=alliance,
            organization=lead,
            side=AllianceMember.Side.GOVERNMENT,
            since=alliance.formed_on,
        )
        record(
            user,
            "partybuilding.form_alliance",
            alliance,
            after={"name": fields["name"], "project": project.pk},
        )
    return alliance


def join_alliance(user, alliance: Alliance, organization: Organization, side: str) -> AllianceMember:
    """Add an organization to the alliance: decided by the keepers of the alliance's leading organization."""
    require_keeper(user, alliance.lead)
    if side not in AllianceMember.Side.values:
        raise ValidationError({"side": _("所属方不正确。")})
    if not organization.is_active:
        raise ValidationError({"organization": _("该党组织已撤销。")})
    try:
        with transaction.atomic():
            row = AllianceMember.objects.create(alliance=alliance, organization=organization, side=side)
            record(
                user,
                "partybuilding.join_alliance",
                alliance,
                after={"organization": organization.pk, "side": side},
            )
    except IntegrityError:
        raise ValidationError({"organization": _("该党组织已经是联盟成员。")}) from None
    return row
