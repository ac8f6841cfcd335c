"""Members' one write path: register, correct, confirm as full members, transfer, reveal the ID number.

Only the keepers of the member's organization (its officers and those above, `access.keeps`) act. The ID number
is checked before anything is written and never written to the audit trail unmasked; revealing it is an
audited act of its own. Each registration and transfer moves the organizations' stored `member_count` under
their row locks (taken in path order, so two transfers between the same organizations cannot deadlock).
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.audit import record
from sciencecity.workdays import clock
from sciencecity.workflow.errors import not_found
from sciencecity.workflow.transitions import TransitionTable

from .. import identity
from ..access import KEEP, forget_posts, require_keeper
from ..models import Organization, PartyMember, Transfer
from .organizations import MEMBER_KINDS

S = PartyMember.Status
MEMBER_STATUS = TransitionTable(
    PartyMember,
    [(S.PROBATIONARY, "confirm_full", S.FULL, KEEP)],
    {"confirm_full": gettext_lazy("按期转正")},
)
EDITABLE = ("name", "phone", "duties", "workplace", "joined_on")


def _state(member: PartyMember) -> dict:
    """What the audit keeps of a member: never the full ID number nor the phone."""
    return {
        "name": member.name,
        "id_number": member.masked_id,
        "organization": member.organization_id,
        "status": member.status,
        "joined_on": member.joined_on and member.joined_on.isoformat(),
        "full_on": member.full_on and member.full_on.isoformat(),
        "duties": member.duties,
        "user": member.user_id,
        "left_on": member.left_on and member.left_on.isoformat(),
    }


def years_after(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` later; 29 February falls on 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return datetime.date(day.year + years, 3, 1)


def _check_dates(joined_on, full_on, birth_date) -> None:
    today = clock.today()
    if joined_on is None:
        raise ValidationError({"joined_on": _("请填写入党日期。")})
    if joined_on > today:
        raise ValidationError({"joined_on": _("入党日期不能晚于今天。")})
    if joined_on < years_after(birth_date, 18):
        raise ValidationError({"joined_on": _("入党时应年满十八周岁。")})
    if full_on is not None and (full_on < joined_on or full_on > today):
        raise ValidationError({"full_on": _("转正日期应在入党日期之后、今天之前。")})


def _check_organization(organization: Organization) -> None:
    if not organization.is_active:
        raise ValidationError({"organization": _("该党组织已撤销。")})
    if organization.kind not in MEMBER_KINDS:
        raise ValidationError({"organization": _("党员应编入党支部(或党总支)。")})


def _check_account(person, member_pk=None) -> None:
    if person is None:
        return
    taken = PartyMember.objects.filter(user=person).exclude(pk=member_pk)
    if taken.exists():
        raise ValidationError({"user": _("该平台账号已关联其他党员。")})


def register(
    user,
    organization: Organization,
    *,
    name: str,
    id_number: str,
    joined_on: datetime.date,
    status: str = S.FULL,
    full_on: datetime.date | None = None,
    phone: str = "",
    duties: str = "",
    workplace: str = "",
    person=None,
) -> PartyMember:
    """Register a member of `organization` (a branch), checking everything before writing anything."""
    require_keeper(user, organization)
    _check_organization(organization)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写姓名。")})
    number = identity.normalize(id_number)
    try:
        identity.validate_id_number(number)
    except ValidationError as error:
        raise ValidationError({"id_number": error.messages}) from None
    if status not in S.values:
        raise ValidationError({"status": _("党员类别不正确。")})
    if status == S.FULL and full_on is None:
        full_on = joined_on
    if status == S.PROBATIONARY:
        full_on = None
    born = identity.birth_date(number)
    _check_dates(joined_on, full_on, born)
    _check_account(person)
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        if PartyMember.objects.filter(id_number=number).exists():
            raise ValidationError({"id_number": _("该身份证号码的党员已经登记。")})
        member = PartyMember.objects.create(
            name=name[:50],
            id_number=number,
            gender=identity.gender(number),
            birth_date=born,
            phone=(phone or "").strip()[:20],
            organization=organization,
            user=person,
            status=status,
            joined_on=joined_on,
            full_on=full_on,
            duties=(duties or "").strip()[:100],
            workplace=(workplace or "").strip()[:200],
        )
        Organization.objects.filter(pk=organization.pk).update(member_count=F("member_count") + 1)
        record(user, "partybuilding.register", member, after=_state(member))
    forget_posts(person)
    return member


def update(user, member: PartyMember, *, person=..., **fields) -> PartyMember:
    """Correct a member's editable details (name, phone, duties, workplace, joining date) or platform account."""
    require_keeper(user, member.organization)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError(_("不能修改:%(fields)s。") % {"fields": "、".join(sorted(unknown))})
    if "name" in fields and not (fields["name"] or "").strip():
        raise ValidationError({"name": _("请填写姓名。")})
    with transaction.atomic():
        member = PartyMember.objects.select_for_update().get(pk=member.pk)
        before = _state(member)
        for field, value in fields.items():
            setattr(member, field, value.strip() if isinstance(value, str) else value)
        _check_dates(member.joined_on, member.full_on, member.birth_date)
        if person is not ...:
            _check_account(person, member.pk)
            member.user = person
        member.save()
        record(user, "partybuilding.update_member", member, before=before, after=_state(member))
    if person is not ...:
        forget_posts(person)
    return member


def confirm_full(user, member: PartyMember, *, on: datetime.date | None = None) -> PartyMember:
    """A probationary member becomes a full member (预备党员按期转正), at least a year after joining."""
    require_keeper(user, member.organization)
    on = on or clock.today()
    with transaction.atomic():
        member = PartyMember.objects.select_for_update().get(pk=member.pk)
        before = _state(member)
        MEMBER_STATUS.apply(member, "confirm_full", user)
        if on > clock.today() or on < years_after(member.joined_on, 1):
            raise ValidationError({"full_on": _("预备期一般为一年,转正日期应在入党一年后、今天之前。")})
        member.full_on = on
        member.save(update_fields=["status", "full_on"])
        record(user, "partybuilding.confirm_full", member, before=before, after=_state(member))
    return member


def transfer(
    user,
    member: PartyMember,
    *,
    to: Organization | None = None,
    outside: str = "",
    on: datetime.date | None = None,
    reason: str = "",
) -> Transfer:
    """Move a member's organizational relation to `to`, or out of the zone (`outside`, the receiving body)."""
    require_keeper(user, member.organization)
    outside = (outside or "").strip()
    if (to is None) == (not outside):
        raise ValidationError({"to": _("请选择转入的党组织,或填写转往区外的单位(二者选一)。")})
    on = on or clock.today()
    if on > clock.today():
        raise ValidationError({"on": _("转接日期不能晚于今天。")})
    if to is not None:
        _check_organization(to)
    with transaction.atomic():
        member = PartyMember.objects.select_for_update().get(pk=member.pk)
        if member.left_on is not None:
            raise ValidationError(_("该党员的组织关系已转出本区。"))
        source = member.organization
        if to is not None and to.pk == source.pk:
            raise ValidationError({"to": _("转入组织与当前组织相同。")})
        # Both counters under their locks, taken in path order.
        pks = [source.pk] + ([to.pk] if to is not None else [])
        list(Organization.objects.select_for_update().filter(pk__in=pks).order_by("path"))
        before = _state(member)
        moved = Transfer.objects.create(
            member=member,
            from_organization=source,
            to_organization=to,
            to_outside=outside[:200],
            on=on,
            reason=(reason or "").strip()[:300],
            actor=user,
        )
        Organization.objects.filter(pk=source.pk).update(member_count=F("member_count") - 1)
        if to is not None:
            member.organization = to
            Organization.objects.filter(pk=to.pk).update(member_count=F("member_count") + 1)
        else:
            member.left_on = on
            member.left_to = outside[:200]
        member.save(update_fields=["organization", "left_on", "left_to"])
        record(user, "partybuilding.transfer", member, before=before, after=_state(member))
    return moved


def reveal_id_number(user, member: PartyMember) -> str:
    """The full ID number, for an officer in scope with the permission to see it; each reveal is audited."""
    own = user is not None and member.user_id == user.pk
    in_scope = (
        user is not None
        and user.has_perm("partybuilding.reveal_id_number")
        and PartyMember.objects.for_user(user).filter(pk=member.pk).exists()
    )
    if not (own or in_scope):
        raise not_found(PartyMember)
    record(user, "partybuilding.reveal_id", member, after={"id_number": member.masked_id})
    return member.id_number
