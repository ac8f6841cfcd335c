"""The tree's one write path: found, rename, move, merge and dissolve organizations; appoint and relieve officers.

Every change is checked before anything is written (a kind that may not sit under its parent, a move that would
put an organization under itself, a merger into its own subtree, a dissolution that would orphan members), runs
in one transaction, is kept in `OrganizationEvent` and audited. Treebeard rewrites the paths of a moved subtree.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.workdays import clock

from ..access import forget_posts, require_keeper
from ..models import Officer, Organization, OrganizationEvent, PartyMember, Transfer

K = Organization.Kind

# The kinds an organization of each kind may sit under (None: a root). 党工委 heads the zone's tree.
PARENT_KINDS: dict[str, set] = {
    K.WORKING_COMMITTEE: {None},
    K.COMMITTEE: {K.WORKING_COMMITTEE, K.COMMITTEE},
    K.ORGAN_COMMITTEE: {K.WORKING_COMMITTEE},
    K.GENERAL_BRANCH: {K.WORKING_COMMITTEE, K.COMMITTEE, K.ORGAN_COMMITTEE},
    K.BRANCH: {K.WORKING_COMMITTEE, K.COMMITTEE, K.ORGAN_COMMITTEE, K.GENERAL_BRANCH},
    K.GROUP: {K.BRANCH},
}
# Where members are registered: the basic organizations.
MEMBER_KINDS = {K.BRANCH, K.GENERAL_BRANCH}


def administers(user) -> bool:
    """Administrators found the root and give its first post; every other change is the keepers'."""
    return user is None or user.has_role("administrator")


def _state(organization: Organization) -> dict:
    return {
        "name": organization.name,
        "kind": organization.kind,
        "parent": organization.path[: -organization.steplen] or None,
        "path": organization.path,
        "dissolved_on": organization.dissolved_on and organization.dissolved_on.isoformat(),
    }


def _check_place(kind: str, parent: Organization | None) -> None:
    allowed = PARENT_KINDS[kind]
    if parent is None:
        if None not in allowed:
            raise ValidationError({"parent": _("请选择上级党组织。")})
        return
    if not parent.is_active:
        raise ValidationError({"parent": _("上级党组织已撤销。")})
    if parent.kind not in allowed:
        raise ValidationError(
            {
                "parent": _("%(kind)s不能设在%(parent_kind)s之下。")
                % {"kind": K(kind).label, "parent_kind": K(parent.kind).label}
            }
        )


def _event(organization, kind, user, *, before="", after="", other=None, note="", on=None):
    OrganizationEvent.objects.create(
        organization=organization,
        kind=kind,
        on=on or clock.today(),
        before=before[:300],
        after=after[:300],
        other=other,
        note=note[:500],
        actor=user,
    )


def _name(value: str) -> str:
    name = (value or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写组织名称。")})
    if len(name) > 120:
        raise ValidationError({"name": _("组织名称不能超过120个字。")})
    return name


def found(
    user,
    parent: Organization | None,
    *,
    name: str,
    kind: str,
    sector: str,
    department=None,
    enterprise=None,
    established_on: datetime.date | None = None,
) -> Organization:
    """Found an organization under `parent` (a root — the 党工委 — only by an administrator)."""
    if kind not in K.values:
        raise ValidationError({"kind": _("组织类别不正确。")})
    if sector not in Organization.Sector.values:
        raise ValidationError({"sector": _("单位类型不正确。")})
    name = _name(name)
    if parent is None:
        if not administers(user):
            raise PermissionDenied(_("只有系统管理员可以设立最高一级党组织。"))
    else:
        require_keeper(user, parent)
    _check_place(kind, parent)
    established_on = established_on or clock.today()
    if established_on > clock.today():
        raise ValidationError({"established_on": _("成立日期不能晚于今天。")})
    fields = {
        "name": name,
        "kind": kind,
        "sector": sector,
        "department": department,
        "enterprise": enterprise,
        "established_on": established_on,
    }
    with transaction.atomic():
        if parent is None:
            organization = Organization.objects.add_root(create_kwargs=fields)
        else:
            organization = Organization.objects.add_child(parent, create_kwargs=fields)
        _event(
            organization, OrganizationEvent.Kind.FOUNDED, user, after=name, other=parent, on=established_on
        )
        record(user, "partybuilding.found", organization, after=_state(organization))
    return organization


def _locked(organization: Organization) -> Organization:
    return Organization.objects.select_for_update().get(pk=organization.pk)


def rename(user, organization: Organization, name: str) -> Organization:
    require_keeper(user, organization)
    name = _name(name)
    with transaction.atomic():
        organization = _locked(organization)
        before = _state(organization)
        old = organization.name
        if old == name:
            return organization
        organization.name = name
        organization.save(update_fields=["name"])
        _event(organization, OrganizationEvent.Kind.RENAMED, user, before=old, after=name)
        record(user, "partybuilding.rename", organization, before=before, after=_state(organization))
    return organization


def _parent_of(organization: Organization) -> Organization | None:
    return (
        None
        if organization.is_root()
        else Organization.objects.get(path=organization.path[: -organization.steplen])
    )


def move(user, organization: Organization, parent: Organization, *, note: str = "") -> Organization:
    """Put `organization` (with its subtree) under `parent`: kept by the user on both sides, never under itself."""
    require_keeper(user, organization, parent)
    with transaction.atomic():
        organization = _locked(organization)
        parent = _locked(parent)
        if parent.path.startswith(organization.path):
            raise ValidationError({"parent": _("不能把党组织调整到它自己或它的下级组织之下。")})
        if not organization.is_active:
            raise ValidationError(_("该党组织已撤销。"))
        _check_place(organization.kind, parent)
        old_parent = _parent_of(organization)
        if old_parent is not None and old_parent.pk == parent.pk:
            return organization
        before = _state(organization)
        Organization.objects.move(organization, parent, "last-child")
        organization.refresh_from_db()
        _event(
            organization,
            OrganizationEvent.Kind.MOVED,
            user,
            before=old_parent.name if old_parent else "",
            after=parent.name,
            other=parent,
            note=note,
        )
        record(user, "partybuilding.move", organization, before=before, after=_state(organization))
    return organization


def merge(user, organization: Organization, into: Organization, *, note: str = "") -> Organization:
    """Merge `organization` into `into`: its members are transferred, its sub-organizations move under `into`,
    and it is dissolved with `merged_into` set; its teams, activities and history stay where they were."""
    require_keeper(user, organization, into)
    with transaction.atomic():
        organization = _locked(organization)
        into = _locked(into)
        if into.path.startswith(organization.path):
            raise ValidationError({"into": _("不能并入它自己或它的下级组织。")})
        if not (organization.is_active and into.is_active):
            raise ValidationError({"into": _("已撤销的党组织不能合并。")})
        members = list(PartyMember.objects.select_for_update().filter(organization=organization).current())
        if members and into.kind not in MEMBER_KINDS:
            raise ValidationError({"into": _("有党员的组织只能并入党支部或党总支。")})
        children = list(Organization.objects.get_children(organization))
        for child in children:
            _check_place(child.kind, into)
        before = _state(organization)
        today = clock.today()
        Transfer.objects.bulk_create(
            [
                Transfer(
                    member=member,
                    from_organization=organization,
                    to_organization=into,
                    on=today,
                    reason=_("组织合并"),
                    actor=user,
                )
                for member in members
            ]
        )
        PartyMember.objects.filter(pk__in=[member.pk for member in members]).update(organization=into)
        for child in children:
            Organization.objects.move(
                Organization.objects.get(pk=child.pk), Organization.objects.get(pk=into.pk), "last-child"
            )
        Organization.objects.filter(pk=into.pk).update(member_count=into.member_count + len(members))
        organization.refresh_from_db()
        organization.member_count = 0
        organization.dissolved_on = today
        organization.merged_into = into
        organization.save(update_fields=["member_count", "dissolved_on", "merged_into"])
        Officer.objects.filter(organization=organization, until__isnull=True).update(until=today)
        _event(
            organization,
            OrganizationEvent.Kind.MERGED,
            user,
            before=organization.name,
            after=into.name,
            other=into,
            note=note,
        )
        _event(
            into,
            OrganizationEvent.Kind.MERGED,
            user,
            before=organization.name,
            after=into.name,
            other=organization,
            note=note,
        )
        record(
            user,
            "partybuilding.merge",
            organization,
            before=before,
            after={
                **_state(organization),
                "into": into.pk,
                "members": len(members),
                "children": len(children),
            },
        )
    forget_posts(user)
    return organization


def dissolve(user, organization: Organization, *, note: str = "") -> Organization:
    require_keeper(user, organization)
    with transaction.atomic():
        organization = _locked(organization)
        if not organization.is_active:
            raise ValidationError(_("该党组织已撤销。"))
        if PartyMember.objects.filter(organization=organization).current().exists():
            raise ValidationError(_("该组织还有党员,请先转接他们的组织关系或与其他组织合并。"))
        if Organization.objects.get_children(organization).active().exists():
            raise ValidationError(_("该组织还有下级组织,请先调整或撤销它们。"))
        before = _state(organization)
        today = clock.today()
        organization.dissolved_on = today
        organization.save(update_fields=["dissolved_on"])
        Officer.objects.filter(organization=organization, until__isnull=True).update(until=today)
        _event(organization, OrganizationEvent.Kind.DISSOLVED, user, before=organization.name, note=note)
        record(user, "partybuilding.dissolve", organization, before=before, after=_state(organization))
    forget_posts(user)
    return organization


def appoint(
    user, organization: Organization, person, title: str, *, since: datetime.date | None = None
) -> Officer:
    """Give `person` a post in `organization`; the first post at the root is given by an administrator."""
    if not (organization.depth == 1 and administers(user)):
        require_keeper(user, organization)
    if title not in Officer.Title.values:
        raise ValidationError({"title": _("职务不正确。")})
    if not organization.is_active:
        raise ValidationError(_("该党组织已撤销。"))
    if person is None or not person.is_active:
        raise ValidationError({"user": _("请选择在用的平台账号。")})
    with transaction.atomic():
        _locked(organization)
        if Officer.objects.filter(user=person, organization=organization, until__isnull=True).exists():
            raise ValidationError({"user": _("此人已在该组织任职。")})
        post = Officer.objects.create(
            user=person, organization=organization, title=title, since=since or clock.today()
        )
        record(user, "partybuilding.appoint", organization, after={"user": person.pk, "title": title})
    forget_posts(person)
    return post


def relieve(user, post: Officer) -> Officer:
    require_keeper(user, post.organization)
    with transaction.atomic():
        post = Officer.objects.select_for_update().get(pk=post.pk)
        if post.until is not None:
            raise ValidationError(_("该职务已经离任。"))
        post.until = clock.today()
        post.save(update_fields=["until"])
        record(
            user,
            "partybuilding.relieve",
            post.organization,
            after={"user": post.user_id, "title": post.title},
        )
    return post
