"""Every write of the interaction register: recording an interaction, the enterprise's confirmation or
dispute, a supervisor's finding.

Recording computes, once, the last working day the record was due (`INTERACTION_RECORD_WORKING_DAYS` after
the interaction) and whether it touches the negative list; a late or forbidden record notifies the
supervisors after commit. The enterprise's answer is a transition of `TRANSITIONS`.
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.accounts.models import User
from sciencecity.audit.services import record
from sciencecity.notifications.services import notify
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import add_working_days
from sciencecity.workflow.numbers import next_value
from sciencecity.workflow.transitions import TransitionTable

from .models import Finding, Interaction, ListItem
from .notifications import InteractionNoticeKind

R = Interaction.Response
RESPOND = "interactions.respond_interaction"
RECORD = "interactions.record_interaction"
FIND = "interactions.supervise_interaction"
MAX_PAST_DAYS = 366  # an interaction older than a year is history, not a record to enter now

TRANSITIONS = TransitionTable(
    Interaction,
    [
        (R.PENDING, "confirm", R.CONFIRMED, RESPOND),
        (R.PENDING, "dispute", R.DISPUTED, RESPOND),
    ],
    {"confirm": gettext_lazy("确认"), "dispute": gettext_lazy("提出异议")},
    field="response",
)


def _text(value, field: str, limit: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: _("请填写此项。")})
    if "\x00" in text:
        raise ValidationError({field: _("内容含有不允许的字符。")})
    if len(text) > limit:
        raise ValidationError({field: _("不能超过 %(limit)d 个字。") % {"limit": limit}})
    return text


def supervisors():
    return User.objects.filter(is_active=True, groups__name="supervisor").distinct()


def due_on(occurred_on: datetime.date) -> datetime.date:
    """The last day the record is on time: the set number of working days after the interaction."""
    return add_working_days(occurred_on, settings.INTERACTION_RECORD_WORKING_DAYS)


def record_interaction(
    user,
    *,
    enterprise,
    kind: str,
    occurred_on: datetime.date,
    place: str,
    purpose: str,
    items,
    officials_present: str,
    enterprise_attendees: str = "",
    outcome: str = "",
    service_event=None,
) -> Interaction:
    """An official records an interaction with `enterprise`; `items` are list items (their codes or rows).
    `service_event`: the service event whose meeting with the enterprise this is (`service_events.services`)."""
    if not user.has_perm(RECORD):
        raise PermissionDenied(_("您没有登记政商交往的权限。"))
    today = clock.today()
    if kind not in Interaction.Kind.values:
        raise ValidationError({"kind": _("交往方式不正确。")})
    if not isinstance(occurred_on, datetime.date):
        raise ValidationError({"occurred_on": _("请填写交往日期。")})
    if occurred_on > today:
        raise ValidationError({"occurred_on": _("只能登记已经发生的交往,日期不能晚于今天。")})
    if occurred_on < today - datetime.timedelta(days=MAX_PAST_DAYS):
        raise ValidationError({"occurred_on": _("交往日期不能早于一年前。")})
    codes = [item.code if isinstance(item, ListItem) else str(item) for item in items or ()]
    chosen = list(ListItem.objects.filter(code__in=codes, is_active=True))
    if not chosen or len(chosen) != len(set(codes)):
        raise ValidationError({"items": _("请选择这次交往对应的清单条目(须为启用的条目)。")})
    fields = {
        "place": _text(place, "place", 200),
        "purpose": _text(purpose, "purpose", 2000),
        "officials_present": _text(officials_present, "officials_present", 500),
        "enterprise_attendees": _text(enterprise_attendees, "enterprise_attendees", 500, required=False),
        "outcome": _text(outcome, "outcome", 2000, required=False),
    }
    deadline = due_on(occurred_on)
    with transaction.atomic():
        interaction = Interaction.objects.create(
            number=f"ZS{today.year}{next_value(f'interaction-{today.year}'):07d}",
            official=user,
            department_id=user.department_id,
            enterprise=enterprise,
            kind=kind,
            occurred_on=occurred_on,
            recorded_at=clock.now(),
            due_on=deadline,
            late=today > deadline,
            forbidden=any(item.kind == ListItem.Kind.FORBIDDEN for item in chosen),
            service_event=service_event,
            **fields,
        )
        interaction.items.set(chosen)
        record(
            user,
            "interactions.record",
            interaction,
            after={
                "enterprise": enterprise.pk,
                "kind": kind,
                "occurred_on": occurred_on.isoformat(),
                "items": sorted(item.code for item in chosen),
                "late": interaction.late,
                "forbidden": interaction.forbidden,
                **({"service_event": service_event.number} if service_event is not None else {}),
            },
        )
        if interaction.flagged:
            _flag(interaction)
    return interaction


def _flag(interaction: Interaction) -> None:
    def compose():
        reasons = []
        if interaction.forbidden:
            reasons.append(_("涉及负面清单"))
        if interaction.late:
            reasons.append(_("逾期登记"))
        return (
            _("政商交往登记需关注:%(number)s") % {"number": interaction.number},
            _("%(enterprise)s,%(day)s,%(reasons)s。")
            % {
                "enterprise": interaction.enterprise.name,
                "day": interaction.occurred_on.isoformat(),
                "reasons": _("、").join(str(reason) for reason in reasons),
            },
        )

    notify(supervisors(), InteractionNoticeKind.FLAGGED, compose, about=interaction)


def _locked(interaction: Interaction) -> Interaction:
    return Interaction.objects.select_for_update().get(pk=interaction.pk)


def respond(user, interaction: Interaction, action: str, note: str = "") -> Interaction:
    """The enterprise visited confirms the record, or disputes it with what it says happened."""
    note = _text(note, "note", 2000, required=action == "dispute")
    with transaction.atomic():
        interaction = _locked(interaction)
        if user.enterprise_id != interaction.enterprise_id:
            raise PermissionDenied(_("只有被走访的企业可以确认或反馈这条登记。"))
        before, after = TRANSITIONS.apply(interaction, action, user)
        interaction.response_note = note
        interaction.responded_at = clock.now()
        interaction.responded_by = user
        interaction.save(update_fields=["response", "response_note", "responded_at", "responded_by"])
        record(
            user,
            f"interactions.{action}",
            interaction,
            before={"response": before},
            after={"response": after, "note": note},
        )
        if action == "dispute":  # the supervisors and the official hear of it, in the same transaction

            def compose():
                return (
                    _("企业对政商交往登记提出异议:%(number)s") % {"number": interaction.number},
                    note,
                )

            notify(
                [*supervisors(), interaction.official],
                InteractionNoticeKind.DISPUTED,
                compose,
                about=interaction,
            )
    return interaction


def add_finding(user, interaction: Interaction, kind: str, text: str) -> Finding:
    """A supervisor's finding on a record (any record they read)."""
    if not user.has_perm(FIND):
        raise PermissionDenied(_("只有纪检监督人员可以提出监督意见。"))
    if kind not in Finding.Kind.values:
        raise ValidationError({"kind": _("意见类别不正确。")})
    text = _text(text, "text", 4000)
    with transaction.atomic():
        interaction = _locked(interaction)
        finding = Finding.objects.create(interaction=interaction, author=user, kind=kind, text=text)
        record(user, "interactions.finding", interaction, after={"kind": kind, "text": text})
    return finding


def search(
    queryset,
    *,
    q: str = "",
    flagged: bool = False,
    response: str = "",
    department=None,
    since=None,
    until=None,
):
    """The records of `queryset` that match a supervisor's search, newest first."""
    if q := (q or "").strip():
        queryset = queryset.filter(
            Q(number__icontains=q)
            | Q(enterprise__name__icontains=q)
            | Q(purpose__icontains=q)
            | Q(officials_present__icontains=q)
            | Q(place__icontains=q)
        )
    if flagged:
        queryset = queryset.flagged()
    if response:
        queryset = queryset.filter(response=response)
    if department is not None:
        queryset = queryset.filter(department=department)
    if since:
        queryset = queryset.filter(occurred_on__gte=since)
    if until:
        queryset = queryset.filter(occurred_on__lte=until)
    return queryset.order_by("-occurred_on", "-id")
