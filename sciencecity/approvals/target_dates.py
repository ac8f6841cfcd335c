"""Target delivery dates (定日出件): the day an application's results are delivered on, and the risk of missing it.

A bundle of the catalog may ask for a target date (`Bundle.target_date_label`, e.g. 交地日期 for 交地即领证: every
land and planning certificate on the day the land is handed over). The applicant names the day when applying
(`target_date_problems` says whether it can be kept), the window moves it when the handover moves
(`services.target_dates`), the items are reviewed in parallel before it and the window delivers every result
together on that day (the unified delivery, `services.delivery`, refuses earlier).

**At risk** (有风险). An application with a target date that is not yet delivered (status submitted, correction,
in review or concluded; the same rows as the partial index `application_target_idx`) is at risk, for one of
three reasons, the first that holds:

1. `passed`: the target date is before today and the results are not delivered;
2. `late_deadline`: review is not finished (submitted, correction, in review) and a stored deadline falls after
   the target date: the application's promised deadline (fixed at acceptance), or the promised deadline of one
   of its open review tasks (a task waiting for its prerequisites has none yet; a paused task keeps its last);
3. `due_soon`: review is not finished and the target date is within `TARGET_DATE_RISK_WORKING_DAYS` working
   days of today (today included, `target_date <= add_working_days(today, n)`).

A concluded application whose target date is today or later is on track: it waits for its day. Every condition
compares stored dates (ARCHITECTURE.md rule 4): the list of applications at risk is one query that starts from
the partial index on the target date, with one indexed probe of the tasks per candidate, and the only
working-day arithmetic is the horizon of reason 3, computed once per call.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, TextChoices, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.i18n import in_language
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import add_working_days, is_working_day

from .models import Application, ReviewTask

A = Application.Status
# Not yet delivered, and neither closed: the applications whose target date still matters (and the index's).
ACTIVE = (A.SUBMITTED, A.CORRECTION, A.IN_REVIEW, A.CONCLUDED)
REVIEWING = (A.SUBMITTED, A.CORRECTION, A.IN_REVIEW)
# How far ahead an applicant may name a target date (a year of days: the calendar of the next year is known
# at least provisionally, and no land handover is planned further ahead on a platform's application).
MAX_DAYS_AHEAD = 366


class Risk(TextChoices):
    PASSED = "passed", gettext_lazy("目标日期已过,尚未出件")
    LATE_DEADLINE = "late_deadline", gettext_lazy("审批期限晚于目标日期")
    DUE_SOON = "due_soon", gettext_lazy("临近目标日期,审批尚未办结")


def risk_label(value: str | None) -> str:
    return str(Risk(value).label) if value else ""


def horizon(today: datetime.date | None = None) -> datetime.date:
    """The last day that counts as near (reason 3): `TARGET_DATE_RISK_WORKING_DAYS` working days after today."""
    today = today or clock.today()
    return add_working_days(today, settings.TARGET_DATE_RISK_WORKING_DAYS)


def _late_tasks():
    return ReviewTask.objects.filter(
        application_id=OuterRef("pk"),
        status__in=ReviewTask.OPEN_STATUSES,
        promised_deadline__gt=OuterRef("target_date"),
    )


def _conditions(today: datetime.date) -> dict[str, Q]:
    reviewing = Q(status__in=REVIEWING)
    return {
        Risk.PASSED: Q(target_date__lt=today),
        Risk.LATE_DEADLINE: reviewing & (Q(promised_deadline__gt=F("target_date")) | Exists(_late_tasks())),
        Risk.DUE_SOON: reviewing & Q(target_date__lte=horizon(today)),
    }


def with_target(queryset):
    """Applications that have a target date and are not yet delivered (the partial index's rows)."""
    return queryset.filter(target_date__isnull=False, status__in=ACTIVE)


def at_risk(queryset, today: datetime.date | None = None):
    """The applications of `queryset` at risk of missing their target date (see the module docstring)."""
    conditions = _conditions(today or clock.today())
    either = Q()
    for condition in conditions.values():
        either |= condition
    return with_target(queryset).filter(either)


def annotate_risk(queryset, today: datetime.date | None = None):
    """`queryset` with `target_risk`: the first reason that holds (a `Risk` value), or "" (on track, no target
    date, or delivered or closed)."""
    conditions = _conditions(today or clock.today())
    active = Q(target_date__isnull=False, status__in=ACTIVE)
    return queryset.annotate(
        target_risk=Case(
            *(When(active & condition, then=Value(str(risk))) for risk, condition in conditions.items()),
            default=Value(""),
            output_field=CharField(),
        )
    )


def risk_of(application, today: datetime.date | None = None) -> str:
    """The risk of one application: its `target_risk` when read annotated, else one query."""
    if hasattr(application, "target_risk"):
        return application.target_risk
    if application.target_date is None or application.status not in ACTIVE:
        return ""
    found = annotate_risk(Application.objects.filter(pk=application.pk), today)
    return found.values_list("target_risk", flat=True).first() or ""


def risk_by_bundle(queryset, today: datetime.date | None = None) -> list[dict]:
    """Per bundle with applications awaiting their target date: how many, and how many at risk for each
    reason (one GROUP BY over the partial index's rows)."""
    rows = (
        annotate_risk(with_target(queryset), today)
        .values(
            "bundle__code",
            "bundle__name",
            "bundle__name_en",
            "bundle__target_date_label",
            "bundle__target_date_label_en",
            "target_risk",
        )
        .annotate(count=Count("id"))
        .order_by("bundle__code", "target_risk")
    )
    by_bundle: dict[str, dict] = {}
    for row in rows:
        entry = by_bundle.setdefault(
            row["bundle__code"],
            {
                "code": row["bundle__code"],
                "name": in_language(row["bundle__name"], row["bundle__name_en"]),
                "label": in_language(row["bundle__target_date_label"], row["bundle__target_date_label_en"]),
                "total": 0,
                "at_risk": 0,
                "reasons": {},
            },
        )
        entry["total"] += row["count"]
        if row["target_risk"]:
            entry["at_risk"] += row["count"]
            entry["reasons"][row["target_risk"]] = row["count"]
    return list(by_bundle.values())


# --- whether a target date can be kept ------------------------------------------------------------------


def earliest(bundle, today: datetime.date) -> datetime.date:
    """The first target date the bundle's limits allow for an application submitted today: its intake limit
    plus its promised limit, in working days."""
    return add_working_days(today, bundle.intake_limit_days + bundle.promised_limit_days)


def target_date_problems(bundle, day, today: datetime.date, *, required=True, check_limits=True) -> list:
    """The problems (ValidationErrors) of `day` as the target date of an application of `bundle` on `today`:
    the bundle must ask for one, a date must be given (if `required`), a working day, not in the past, within
    `MAX_DAYS_AHEAD`, and (with `check_limits`, the applicant's choice) not before `earliest`."""
    label = bundle.display_target_date_label
    if not bundle.asks_target_date:
        if day is None:
            return []
        return [
            ValidationError(
                _("“%(bundle)s”不设目标交付日期。"), code="not_asked", params={"bundle": bundle.display_name}
            )
        ]
    if day is None:
        if not required:
            return []
        return [ValidationError(_("请填写%(label)s。"), code="required", params={"label": label})]
    if not isinstance(day, datetime.date) or isinstance(day, datetime.datetime):
        return [ValidationError(_("请输入有效日期,格式为 YYYY-MM-DD。"), code="invalid")]
    if day < today:
        return [
            ValidationError(
                _("%(label)s不能早于今天(%(today)s)。"),
                code="past",
                params={"label": label, "today": today.isoformat()},
            )
        ]
    latest = today + datetime.timedelta(days=MAX_DAYS_AHEAD)
    if day > latest:
        return [
            ValidationError(
                _("%(label)s不能晚于 %(latest)s(一年以内)。"),
                code="too_far",
                params={"label": label, "latest": latest.isoformat()},
            )
        ]
    problems = []
    if not is_working_day(day):
        problems.append(
            ValidationError(
                _("%(date)s 是休息日(周末或法定节假日),%(label)s须为工作日,窗口才能当日出件。"),
                code="not_working_day",
                params={"date": day.isoformat(), "label": label},
            )
        )
    if check_limits:
        first = earliest(bundle, today)
        if day < first:
            problems.append(
                ValidationError(
                    _(
                        "按受理时限 %(intake)s 个工作日和承诺办结时限 %(promised)s 个工作日,"
                        "今天提交的申请%(label)s最早为 %(first)s。"
                    ),
                    code="too_early",
                    params={
                        "intake": bundle.intake_limit_days,
                        "promised": bundle.promised_limit_days,
                        "label": label,
                        "first": first.isoformat(),
                    },
                )
            )
    return problems
