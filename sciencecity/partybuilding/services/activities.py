"""Activities' one write path: an organization (or an alliance's leading organization) records an activity held,
with its attendance. Attendees are members of the organization's subtree, or, for an alliance's joint work,
of any member organization's; everything is checked before the activity is written."""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.workdays import clock

from ..access import require_keeper
from ..models import Activity, Alliance, Attendance, Organization, PartyMember, under

JOINT_KINDS = {
    Activity.Kind.JOINT_ORGANIZATION,
    Activity.Kind.JOINT_EDUCATION,
    Activity.Kind.JOINT_RISK,
    Activity.Kind.JOINT_SUPERVISION,
    Activity.Kind.SHARED_BUILDING,
    Activity.Kind.SHARED_RESOURCES,
    Activity.Kind.SHARED_ACTIVITIES,
    Activity.Kind.SHARED_TALENT,
}


def _hours(value) -> Decimal:
    try:
        hours = Decimal(str(value if value not in (None, "") else 2)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"hours": _("时长应为数字(小时)。")}) from None
    if not Decimal("0") < hours <= Decimal("24"):
        raise ValidationError({"hours": _("时长应在0到24小时之间。")})
    return hours


def record_activity(
    user,
    organization: Organization,
    *,
    kind: str,
    title: str,
    held_on: datetime.date,
    place: str = "",
    online: bool = False,
    hours=None,
    notes: str = "",
    alliance: Alliance | None = None,
    project=None,
    attendance: dict[int, str] | None = None,
) -> Activity:
    """Record an activity held by `organization`; `attendance` maps member ids to `Attendance.Status` values."""
    require_keeper(user, organization)
    if kind not in Activity.Kind.values:
        raise ValidationError({"kind": _("活动类别不正确。")})
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("请填写活动主题。")})
    if held_on is None:
        raise ValidationError({"held_on": _("请填写活动日期。")})
    if held_on > clock.today():
        raise ValidationError({"held_on": _("只能记录已经开展的活动,日期不能晚于今天。")})
    if kind in JOINT_KINDS and alliance is None:
        raise ValidationError({"alliance": _("联建活动须选择所属的党建联盟。")})
    attendance = {int(pk): status for pk, status in (attendance or {}).items()}
    wrong = {status for status in attendance.values() if status not in Attendance.Status.values}
    if wrong:
        raise ValidationError({"attendance": _("出席情况不正确。")})
    if alliance is not None:
        roots = list(alliance.organizations.values_list("path", flat=True))
        if not alliance.organizations.filter(pk=organization.pk).exists():
            raise ValidationError({"alliance": _("组织单位不是该联盟的成员组织。")})
    else:
        roots = [organization.path]
    known = set(
        PartyMember.objects.current()
        .filter(under(roots, "organization__path"), pk__in=attendance)
        .values_list("pk", flat=True)
    )
    strangers = set(attendance) - known
    if strangers:
        raise ValidationError(
            {
                "attendance": _("%(count)s名参加人员不是本组织(或联盟成员组织)的党员。")
                % {"count": len(strangers)}
            }
        )
    with transaction.atomic():
        activity = Activity.objects.create(
            organization=organization,
            alliance=alliance,
            project=project if project is not None else (alliance.project if alliance is not None else None),
            kind=kind,
            title=title[:200],
            held_on=held_on,
            place=(place or "").strip()[:200],
            online=bool(online),
            hours=_hours(hours),
            notes=(notes or "").strip(),
            attendance_count=sum(1 for status in attendance.values() if status == Attendance.Status.PRESENT),
            recorded_by=user,
            recorded_at=clock.now(),
        )
        Attendance.objects.bulk_create(
            [Attendance(activity=activity, member_id=pk, status=status) for pk, status in attendance.items()]
        )
        record(
            user,
            "partybuilding.record_activity",
            activity,
            after={
                "kind": kind,
                "title": activity.title,
                "held_on": held_on.isoformat(),
                "present": activity.attendance_count,
            },
        )
    return activity
