"""Every write of a service event: recording it, adding its participants, raising an enterprise's demand there,
recording its outcome, cancelling it, and entering its meetings with the enterprises into the interaction
register. Each function checks everything, locks the event, writes, records the audit trail and notifies, in
one transaction: a refused or failed step leaves nothing behind.

Who manages an event (`may_manage`): a holder of `interactions.hold_serviceevent` who recorded it, works in its
organising department, takes part in it as escort staff (陪跑人员), or reads the whole zone (leaders). An
enterprise's own people may raise their enterprise's demands at an event it takes part in.

A demand is a closed-loop problem of source 企业诉求 opened through `problems.services.lifecycle.report_problem`
(routed to its department by the category's rules, with its stored deadline); the event keeps only the link
(`EventDemand`), and its figures are read from the problems' states.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.accounts.models import Department
from sciencecity.accounts.scoping import is_civil_servant, sees_everything
from sciencecity.audit.services import record
from sciencecity.enterprises.models import Enterprise
from sciencecity.enterprises.selectors import people_of
from sciencecity.notifications.services import notify
from sciencecity.problems.models import Problem, ProblemCategory
from sciencecity.problems.services import lifecycle
from sciencecity.workdays import clock
from sciencecity.workflow.numbers import next_value
from sciencecity.workflow.transitions import IllegalTransition, TransitionTable

from .. import services as register
from ..models import EventDemand, EventParticipant, Interaction, ServiceEvent
from .notifications import EventNoticeKind

HOLD = "interactions.hold_serviceevent"
VIEW = "interactions.view_serviceevent"
REPORT = "problems.report_problem"
S = ServiceEvent.Status
Role = EventParticipant.Role
MAX_DAYS_AWAY = 366  # an event is recorded within a year of today, before or after
MAX_LENGTH_DAYS = 7  # an event lasts a week at most
MAX_AT_ONCE = 200  # enterprises entered into the register in one go

TRANSITIONS = TransitionTable(
    ServiceEvent,
    [
        (S.SCHEDULED, "record_outcome", S.HELD, HOLD),
        (S.HELD, "record_outcome", S.HELD, HOLD),  # amended
        (S.SCHEDULED, "cancel", S.CANCELLED, HOLD),
    ],
    {"record_outcome": gettext_lazy("记录活动成果"), "cancel": gettext_lazy("取消活动")},
)

# How an event's meeting with an enterprise is entered in the register.
REGISTER_KIND = {
    ServiceEvent.Kind.DIALOGUE: Interaction.Kind.MEETING,
    ServiceEvent.Kind.POLICY_BRIEFING: Interaction.Kind.EVENT,
    ServiceEvent.Kind.MATCHMAKING: Interaction.Kind.EVENT,
    ServiceEvent.Kind.GROUP_VISIT: Interaction.Kind.SERVICE,
    ServiceEvent.Kind.OTHER: Interaction.Kind.EVENT,
}

_text = register._text


# --- who may do what ------------------------------------------------------------------------------------


def is_escort(user, event: ServiceEvent) -> bool:
    return bool(user.pk) and event.participants.filter(role=Role.ESCORT, user_id=user.pk).exists()


def may_manage(user, event: ServiceEvent, *, escort: bool | None = None) -> bool:
    """Whether `user` records participants, demands and the outcome of `event` (`escort`: whether the user is
    one of its escort staff, when the caller knows it already)."""
    if user is None or not user.is_authenticated or not user.has_perm(HOLD):
        return False
    if event.created_by_id == user.pk or sees_everything(user):
        return True
    if user.department_id and user.department_id == event.department_id:
        return True
    return is_escort(user, event) if escort is None else escort


def speaks_for(user, enterprise_id) -> bool:
    """An enterprise's own person who may raise its demands."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.enterprise_id
        and user.enterprise_id == enterprise_id
        and not is_civil_servant(user)
        and user.has_perm(REPORT)
    )


def _require_manager(user, event) -> None:
    if not may_manage(user, event):
        raise PermissionDenied(_("只有活动的组织部门、登记人、陪跑人员和领导可以维护这次活动。"))


def _locked(event: ServiceEvent) -> ServiceEvent:
    return ServiceEvent.objects.select_for_update().get(pk=event.pk)


def _require_open(event: ServiceEvent, action: str) -> None:
    if event.status == S.CANCELLED:
        raise IllegalTransition(event, action, _("活动已取消,不能再修改。"))


def _aware(value, field: str, *, required: bool = True):
    if value in (None, ""):
        if required:
            raise ValidationError({field: _("请填写此项。")})
        return None
    if not isinstance(value, datetime.datetime):
        raise ValidationError({field: _("时间格式不正确。")})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _people(enterprise_ids) -> list:
    return [person for people in people_of(enterprise_ids).values() for person in people]


# --- recording an event ---------------------------------------------------------------------------------


def record_event(
    user,
    *,
    kind: str,
    title: str,
    starts_at: datetime.datetime,
    place: str,
    department: Department | None = None,
    ends_at: datetime.datetime | None = None,
    description: str = "",
) -> ServiceEvent:
    """Record an event the zone holds (or will hold) for enterprises; its organising department is the
    recorder's unless another is named."""
    if user is None or not user.has_perm(HOLD):
        raise PermissionDenied(_("您没有组织服务活动的权限。"))
    errors = {}
    if kind not in ServiceEvent.Kind.values:
        errors["kind"] = _("活动类型不正确。")
    department = department or (user.department if user.department_id else None)
    if department is None:
        errors["department"] = _("请选择组织部门。")
    elif not department.is_active:
        errors["department"] = _("该部门已停用。")
    try:
        fields = {
            "title": _text(title, "title", 120),
            "place": _text(place, "place", 200),
            "description": _text(description, "description", 4000, required=False),
        }
        starts_at = _aware(starts_at, "starts_at")
        ends_at = _aware(ends_at, "ends_at", required=False)
    except ValidationError as error:
        raise ValidationError({**errors, **error.message_dict}) from None
    now = clock.now()
    if abs(starts_at - now) > datetime.timedelta(days=MAX_DAYS_AWAY):
        errors["starts_at"] = _("活动时间须在一年以内(之前或之后)。")
    if ends_at is not None and not starts_at <= ends_at <= starts_at + datetime.timedelta(
        days=MAX_LENGTH_DAYS
    ):
        errors["ends_at"] = _("结束时间须晚于开始时间,且活动不超过 %(days)d 天。") % {"days": MAX_LENGTH_DAYS}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        year = clock.today().year
        event = ServiceEvent.objects.create(
            number=f"HD{year}{next_value(f'service-event-{year}'):05d}",
            kind=kind,
            starts_at=starts_at,
            ends_at=ends_at,
            department=department,
            created_by=user,
            created_at=now,
            **fields,
        )
        record(
            user,
            "interactions.event_record",
            event,
            after={
                "kind": kind,
                "title": event.title,
                "starts_at": starts_at.isoformat(),
                "place": event.place,
                "department": department.code,
            },
        )
    return event


# --- participants ---------------------------------------------------------------------------------------


def add_participant(
    user,
    event: ServiceEvent,
    *,
    role: str,
    enterprise: Enterprise | None = None,
    representatives: str = "",
    name: str = "",
    institution: str = "",
    title: str = "",
    person=None,
) -> EventParticipant:
    """Add who takes part: an enterprise with its representatives (its people are invited when the event is
    still ahead), a scientist or expert by name and institution, or one of the zone's staff as escort."""
    if role not in Role.values:
        raise ValidationError({"role": _("参加者身份不正确。")})
    row = EventParticipant(role=role, added_by=user)
    if role == Role.ENTERPRISE:
        if enterprise is None:
            raise ValidationError({"enterprise": _("请选择企业。")})
        row.enterprise = enterprise
        row.representatives = _text(representatives, "representatives", 300)
    elif role == Role.EXPERT:
        errors = {}
        for field, value, limit in (("name", name, 60), ("institution", institution, 120)):
            try:
                setattr(row, field, _text(value, field, limit))
            except ValidationError as error:
                errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)
        row.title = _text(title, "title", 60, required=False)
    else:
        if person is None:
            raise ValidationError({"person": _("请选择陪跑人员。")})
        if not person.is_active or not is_civil_servant(person):
            raise ValidationError({"person": _("陪跑人员须是园区在岗工作人员的账号。")})
        row.user = person
        row.title = _text(title, "title", 60, required=False)
    with transaction.atomic():
        event = _locked(event)
        _require_manager(user, event)
        _require_open(event, "add_participant")
        present = event.participants.all()
        if role == Role.ENTERPRISE and present.filter(enterprise=enterprise).exists():
            raise ValidationError({"enterprise": _("该企业已在参加者名单中。")})
        if role == Role.ESCORT and present.filter(user=person).exists():
            raise ValidationError({"person": _("该工作人员已在参加者名单中。")})
        if (
            role == Role.EXPERT
            and present.filter(role=role, name=row.name, institution=row.institution).exists()
        ):
            raise ValidationError({"name": _("该专家已在参加者名单中。")})
        row.event = event
        row.added_at = clock.now()
        row.save()
        record(
            user,
            "interactions.event_participant",
            event,
            after={
                "role": role,
                "enterprise": row.enterprise_id,
                "user": row.user_id,
                "name": row.name,
                "institution": row.institution,
            },
        )
        ahead = event.status == S.SCHEDULED and event.starts_at > clock.now()
        if role == Role.ENTERPRISE and ahead:
            notify(_people([enterprise.pk]), EventNoticeKind.INVITED, _invitation(event), about=event)
        elif role == Role.ESCORT and person.pk != user.pk and event.status == S.SCHEDULED:
            notify([person], EventNoticeKind.ESCORT, _escort_notice(event), about=event)
    return row


def _when(event) -> str:
    return timezone.localtime(event.starts_at).strftime("%Y-%m-%d %H:%M")


def _invitation(event):
    def compose():
        return (
            _("邀请参加:%(title)s") % {"title": event.title},
            _("%(department)s定于 %(when)s 在%(place)s举办%(kind)s“%(title)s”,诚邀贵企业参加。")
            % {
                "department": event.department.display_name,
                "when": _when(event),
                "place": event.place,
                "kind": event.get_kind_display(),
                "title": event.title,
            },
        )

    return compose


def _escort_notice(event):
    def compose():
        return (
            _("请陪跑服务活动:%(title)s") % {"title": event.title},
            _("您已被列为 %(when)s “%(title)s”的陪跑人员,可在现场登记企业诉求。")
            % {"when": _when(event), "title": event.title},
        )

    return compose


# --- demands --------------------------------------------------------------------------------------------


def raise_demand(
    user,
    event: ServiceEvent,
    *,
    enterprise: Enterprise,
    category: ProblemCategory,
    title: str,
    description: str,
) -> EventDemand:
    """An enterprise's demand raised at the event becomes a closed-loop problem of source 企业诉求 for that
    enterprise (routed by its category), linked to the event. Raised by those who manage the event, or by the
    enterprise's own people; the enterprise must take part in the event."""
    errors = {}
    if enterprise is None:
        errors["enterprise"] = _("请选择提出诉求的企业。")
    if category is None:
        errors["category"] = _("请选择诉求类别。")
    for field, value, limit in (("title", title, 120), ("description", description, 4000)):
        try:
            _text(value, field, limit)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        event = _locked(event)
        if not (speaks_for(user, enterprise.pk) or may_manage(user, event)):
            raise PermissionDenied(_("只有活动的组织和陪跑人员、或企业本身可以登记企业诉求。"))
        _require_open(event, "raise_demand")
        if not event.participants.filter(role=Role.ENTERPRISE, enterprise=enterprise).exists():
            raise ValidationError({"enterprise": _("该企业不在活动的参加者名单中,请先添加。")})
        text = (description or "").strip()
        origin = _("(于服务活动“%(title)s”%(number)s 中提出)") % {
            "title": event.title,
            "number": event.number,
        }
        problem = lifecycle.report_problem(
            user,
            lifecycle.Report(
                category=category,
                title=title,
                description=f"{text}\n{origin}" if text else "",
                source=Problem.Source.ENTERPRISE_DEMAND,
                enterprise=enterprise,
            ),
        )
        demand = EventDemand.objects.create(
            event=event, enterprise=enterprise, problem=problem, raised_by=user, raised_at=clock.now()
        )
        record(
            user,
            "interactions.event_demand",
            event,
            after={"enterprise": enterprise.pk, "problem": problem.number, "category": category.code},
        )
        if not speaks_for(user, enterprise.pk):

            def compose():
                return (
                    _("您企业的诉求已登记:%(number)s") % {"number": problem.number},
                    _("在“%(event)s”中提出的“%(title)s”已转入问题闭环办理,可随时查看办理进度。")
                    % {"event": event.title, "title": problem.title},
                )

            notify(_people([enterprise.pk]), EventNoticeKind.DEMAND, compose, about=event)
    return demand


# --- outcome, cancellation --------------------------------------------------------------------------------


def record_outcome(user, event: ServiceEvent, *, summary: str, agreements: str = "") -> ServiceEvent:
    """Record (or amend) what came of the event: the summary and the agreements and follow-ups, one per line.
    The event is then held; its participating enterprises' people hear of the first record."""
    summary = _text(summary, "summary", 4000)
    agreements = "\n".join(
        line.strip()
        for line in _text(agreements, "agreements", 4000, required=False).splitlines()
        if line.strip()
    )
    with transaction.atomic():
        event = _locked(event)
        _require_manager(user, event)
        TRANSITIONS.check(event, "record_outcome", user)
        if event.starts_at > clock.now():
            raise IllegalTransition(event, "record_outcome", _("活动尚未开始,不能记录成果。"))
        before = {"status": event.status, "summary": event.summary, "agreements": event.agreements}
        TRANSITIONS.apply(event, "record_outcome", user)
        event.summary, event.agreements = summary, agreements
        event.outcome_recorded_at, event.outcome_recorded_by = clock.now(), user
        event.save(
            update_fields=["status", "summary", "agreements", "outcome_recorded_at", "outcome_recorded_by"]
        )
        record(
            user,
            "interactions.event_outcome",
            event,
            before=before,
            after={"status": event.status, "summary": summary, "agreements": agreements},
        )
        if before["status"] == S.SCHEDULED:
            enterprises = event.participants.filter(role=Role.ENTERPRISE).values_list(
                "enterprise_id", flat=True
            )

            def compose():
                return (
                    _("活动成果:%(title)s") % {"title": event.title},
                    _("“%(title)s”已记录活动成果和后续事项,欢迎查看。") % {"title": event.title},
                )

            notify(_people(list(enterprises)), EventNoticeKind.OUTCOME, compose, about=event)
    return event


def cancel_event(user, event: ServiceEvent, reason: str) -> ServiceEvent:
    """Call off a scheduled event, with why; the enterprises invited hear of it."""
    reason = _text(reason, "reason", 2000)
    with transaction.atomic():
        event = _locked(event)
        _require_manager(user, event)
        before, after = TRANSITIONS.apply(event, "cancel", user)
        event.cancel_reason = reason
        event.save(update_fields=["status", "cancel_reason"])
        record(
            user,
            "interactions.event_cancel",
            event,
            before={"status": before},
            after={"status": after, "reason": reason},
        )
        if event.starts_at > clock.now():
            enterprises = event.participants.filter(role=Role.ENTERPRISE).values_list(
                "enterprise_id", flat=True
            )

            def compose():
                return (
                    _("活动取消:%(title)s") % {"title": event.title},
                    _("原定 %(when)s 举办的“%(title)s”已取消。%(reason)s")
                    % {"when": _when(event), "title": event.title, "reason": reason},
                )

            notify(_people(list(enterprises)), EventNoticeKind.CANCELLED, compose, about=event)
    return event


# --- the interaction register ---------------------------------------------------------------------------


def unregistered(event: ServiceEvent):
    """The event's enterprise participants whose meeting is not in the interaction register yet."""
    registered = Interaction.objects.filter(service_event=event).values("enterprise_id")
    return (
        event.participants.filter(role=Role.ENTERPRISE)
        .exclude(enterprise_id__in=registered)
        .select_related("enterprise")
        .order_by("id")
    )


def register_interactions(
    user, event: ServiceEvent, *, items, officials_present: str, enterprises=None
) -> list[Interaction]:
    """Enter the event's meeting with each participating enterprise (those given, or every one not entered
    yet) into the interaction register against the positive list items chosen, through
    `interactions.services.record_interaction` — the register's own rules (due date, late and negative-list
    flags, the enterprise's confirmation) apply as to any record. One record per enterprise and event."""
    if not user.has_perm(register.RECORD):
        raise PermissionDenied(_("您没有登记政商交往的权限。"))
    with transaction.atomic():
        event = _locked(event)
        _require_manager(user, event)
        _require_open(event, "register")
        day = timezone.localdate(event.starts_at)
        if day > clock.today():
            raise IllegalTransition(event, "register", _("活动尚未举办,举办后再登记政商交往。"))
        waiting = list(unregistered(event))
        if enterprises is not None:
            wanted = {
                enterprise.pk if hasattr(enterprise, "pk") else int(enterprise) for enterprise in enterprises
            }
            known = {row.enterprise_id for row in waiting}
            if not wanted:
                raise ValidationError({"enterprises": _("请选择要登记的企业。")})
            if wanted - known:
                raise ValidationError({"enterprises": _("所选企业须是本次活动的参加企业,且尚未登记。")})
            waiting = [row for row in waiting if row.enterprise_id in wanted]
        if not waiting:
            raise ValidationError({"enterprises": _("参加活动的企业都已登记到政商交往台账。")})
        if len(waiting) > MAX_AT_ONCE:
            raise ValidationError({"enterprises": _("一次最多登记 %(n)d 家企业。") % {"n": MAX_AT_ONCE}})
        purpose = _("%(kind)s“%(title)s”(%(number)s)") % {
            "kind": event.get_kind_display(),
            "title": event.title,
            "number": event.number,
        }
        records = [
            register.record_interaction(
                user,
                enterprise=row.enterprise,
                kind=REGISTER_KIND[event.kind],
                occurred_on=day,
                place=event.place,
                purpose=purpose,
                items=items,
                officials_present=officials_present,
                enterprise_attendees=row.representatives,
                outcome=event.summary[:2000],
                service_event=event,
            )
            for row in waiting
        ]
    return records
