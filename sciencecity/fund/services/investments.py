"""The invest-first fund's one write path, on the shared workflow core (transition tables, audit, notifications).

An investment moves through `INVESTMENTS`: a tech enterprise applies; the fund's task force (`fund.manage_fund`,
given to its members by administrators) does the due diligence and puts the case to the committee, whose
members (`fund.vote_fund`) vote; the task force records the decision — approval only with more votes for than
against from at least `QUORUM` members — and signs the agreement: the amount, its tranches with their
milestones, the conversion terms (trigger, valuation cap or discount) and the repayment date if it never
converts. Each tranche moves through `TRANCHES`: its milestone confirmed met, then disbursed — never before
(409). The investment ends converted into equity, repaid, or written off. Every action locks the investment,
checks the table, saves, audits and tells the other side, in one transaction.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.audit import record
from sciencecity.workdays import clock
from sciencecity.workflow.numbers import next_value
from sciencecity.workflow.transitions import TransitionTable

from .. import notices
from ..models import Investment, Tranche, Vote

S = Investment.Status
APPLY, MANAGE, VOTE = "fund.apply_fund", "fund.manage_fund", "fund.vote_fund"
QUORUM = 3
MAX_TRANCHES = 10

INVESTMENTS = TransitionTable(
    Investment,
    [
        (S.APPLIED, "start_diligence", S.DUE_DILIGENCE, MANAGE),
        (S.APPLIED, "withdraw", S.WITHDRAWN, APPLY),
        (S.APPLIED, "reject", S.REJECTED, MANAGE),
        (S.DUE_DILIGENCE, "to_committee", S.COMMITTEE, MANAGE),
        (S.DUE_DILIGENCE, "reject", S.REJECTED, MANAGE),
        (S.COMMITTEE, "approve", S.APPROVED, MANAGE),
        (S.COMMITTEE, "reject", S.REJECTED, MANAGE),
        (S.APPROVED, "sign", S.INVESTED, MANAGE),
        (S.INVESTED, "convert", S.CONVERTED, MANAGE),
        (S.INVESTED, "repay", S.REPAID, MANAGE),
        (S.INVESTED, "write_off", S.WRITTEN_OFF, MANAGE),
    ],
    {
        "start_diligence": gettext_lazy("开始尽职调查"),
        "withdraw": gettext_lazy("撤回申请"),
        "reject": gettext_lazy("不予投资"),
        "to_committee": gettext_lazy("提交投委会"),
        "approve": gettext_lazy("投委会通过"),
        "sign": gettext_lazy("签订协议"),
        "convert": gettext_lazy("转为股权"),
        "repay": gettext_lazy("回收投资"),
        "write_off": gettext_lazy("核销"),
    },
)
T = Tranche.Status
TRANCHES = TransitionTable(
    Tranche,
    [(T.PLANNED, "meet", T.MET, MANAGE), (T.MET, "disburse", T.DISBURSED, MANAGE)],
    {"meet": gettext_lazy("确认里程碑达成"), "disburse": gettext_lazy("拨付")},
)


def _money(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (ArithmeticError, ValueError):
        raise ValidationError({field: _("金额应为数字(万元)。")}) from None
    if amount <= 0 or amount >= Decimal("10000000000"):
        raise ValidationError({field: _("金额应大于零。")})
    return amount


def _text(value, field: str, limit: int = 5000) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: _("请填写此项。")})
    return text[:limit]


def _state(investment: Investment) -> dict:
    return {
        "status": investment.status,
        "amount": None if investment.amount is None else str(investment.amount),
        "converted": str(investment.converted),
        "repaid": str(investment.repaid),
        "written_off": str(investment.written_off),
    }


def apply(user, enterprise, *, title: str, summary: str, requested) -> Investment:
    """A tech enterprise (high-tech or tech-based) applies for an investment."""
    if user is not None and not (user.enterprise_id == enterprise.pk and user.has_perm(APPLY)):
        raise PermissionDenied(_("只有本企业人员可以为本企业申请先投后股。"))
    if not (enterprise.is_tech_based or enterprise.is_high_tech):
        raise ValidationError(_("先投后股面向科技型企业和高新技术企业。"))
    fields = {"title": _text(title, "title", 200), "summary": _text(summary, "summary")}
    amount = _money(requested, "requested")
    with transaction.atomic():
        now = clock.now()
        investment = Investment.objects.create(
            number=f"XT{now:%Y}{next_value(f'fund-{now.year}'):06d}",
            enterprise=enterprise,
            requested=amount,
            applied_by=user,
            applied_at=now,
            **fields,
        )
        record(user, "fund.apply", investment, after=_state(investment))
    return investment


def _require(user, permission: str) -> None:
    """Who may is said before what the state allows: a reader who may not act learns nothing more (403)."""
    if user is not None and not user.has_perm(permission):
        raise PermissionDenied(
            _("只有先投后股基金专班可以办理。") if permission == MANAGE else _("只有本企业人员可以办理。")
        )


# The actions the enterprise hears of.
TOLD = {"approve", "reject", "sign", "convert", "repay", "write_off"}


def _act(user, investment, action: str, change=None, audit: str | None = None) -> Investment:
    _require(user, APPLY if action == "withdraw" else MANAGE)
    with transaction.atomic():
        investment = Investment.objects.select_for_update().get(pk=investment.pk)
        if action == "withdraw" and user is not None and user.enterprise_id != investment.enterprise_id:
            raise PermissionDenied(_("只有本企业人员可以撤回本企业的申请。"))
        before = _state(investment)
        INVESTMENTS.apply(investment, action, user)
        if change is not None:
            change(investment)
        investment.save()
        record(user, audit or f"fund.{action}", investment, before=before, after=_state(investment))
        if action == "to_committee":
            notices.tell_committee(investment)
        elif action in TOLD:
            notices.tell_enterprise(investment, action)
    return investment


def start_diligence(user, investment) -> Investment:
    return _act(user, investment, "start_diligence")


def withdraw(user, investment) -> Investment:
    return _act(user, investment, "withdraw")


def to_committee(user, investment, report: str) -> Investment:
    """Put the case to the committee with the due diligence report."""
    report = _text(report, "report")

    def change(investment):
        investment.diligence_report = report
        investment.diligence_by = user
        investment.diligence_at = clock.now()

    return _act(user, investment, "to_committee", change)


def vote(user, investment, choice: str, comment: str = "") -> Vote:
    """A committee member's vote (or a changed vote) while the case is before the committee."""
    if user is None or not user.has_perm(VOTE):
        raise PermissionDenied(_("只有投委会委员可以表决。"))
    if choice not in Vote.Choice.values:
        raise ValidationError({"choice": _("表决应为同意、反对或弃权。")})
    with transaction.atomic():
        investment = Investment.objects.select_for_update().get(pk=investment.pk)
        if investment.status != S.COMMITTEE:
            raise ValidationError(_("只有提交投委会的项目可以表决。"))
        cast, _created = Vote.objects.update_or_create(
            investment=investment,
            member=user,
            defaults={"choice": choice, "comment": (comment or "").strip()[:2000], "voted_at": clock.now()},
        )
        record(user, "fund.vote", investment, after={"choice": choice})
    return cast


def tally(investment) -> dict:
    counts = dict.fromkeys(Vote.Choice.values, 0)
    for choice in investment.votes.values_list("choice", flat=True):
        counts[choice] += 1
    return counts


def approve(user, investment, note: str = "") -> Investment:
    """Record the committee's approval: at least `QUORUM` members voted and more for than against."""

    def change(investment):
        counts = tally(investment)
        if sum(counts.values()) < QUORUM or counts["for"] <= counts["against"]:
            raise ValidationError(
                _(
                    "投委会表决未通过或人数不足(至少 %(quorum)s 名委员表决,且同意多于反对):同意 %(for)s,反对 %(against)s,弃权 %(abstain)s。"
                )
                % {"quorum": QUORUM, **counts}
            )
        investment.decided_at = clock.now()
        investment.decision_note = (note or "").strip()

    return _act(user, investment, "approve", change)


def reject(user, investment, reason: str) -> Investment:
    reason = _text(reason, "reason")

    def change(investment):
        investment.decided_at = clock.now()
        investment.decision_note = reason

    return _act(user, investment, "reject", change)


def sign(
    user,
    investment,
    *,
    amount,
    signed_on: datetime.date,
    trigger: str,
    trigger_note: str = "",
    valuation_cap=None,
    discount=None,
    repayment_date: datetime.date,
    tranches: list,
) -> Investment:
    """Sign the agreement: its amount in tranches (each with its milestone; they add up to the amount), the
    conversion terms and the repayment date if it never converts."""
    amount = _money(amount, "amount")
    if trigger not in Investment.Trigger.values:
        raise ValidationError({"trigger": _("请选择转股触发条件。")})
    if not isinstance(signed_on, datetime.date) or signed_on > clock.today():
        raise ValidationError({"signed_on": _("签约日期不能晚于今天。")})
    if not isinstance(repayment_date, datetime.date) or repayment_date <= signed_on:
        raise ValidationError({"repayment_date": _("还款日期应晚于签约日期。")})
    if valuation_cap is None and discount is None:
        raise ValidationError({"valuation_cap": _("请约定估值上限或转股折扣。")})
    if not isinstance(tranches, list) or not 1 <= len(tranches) <= MAX_TRANCHES:
        raise ValidationError({"tranches": _("请约定 1–%(max)s 个拨付批次。") % {"max": MAX_TRANCHES}})
    rows = []
    for number, row in enumerate(tranches, 1):
        if not isinstance(row, dict):
            raise ValidationError({f"tranches.{number}": _("批次格式不正确。")})
        rows.append(
            Tranche(
                number=number,
                amount=_money(row.get("amount"), f"tranches.{number}"),
                milestone=_text(row.get("milestone"), f"tranches.{number}", 300),
                expected_on=row.get("expected_on"),
            )
        )
    if sum(row.amount for row in rows) != amount:
        raise ValidationError(
            {"tranches": _("各批次金额之和应等于投资金额 %(amount)s 万元。") % {"amount": amount}}
        )
    cap = None if valuation_cap in (None, "") else _money(valuation_cap, "valuation_cap")
    off = None if discount in (None, "") else Decimal(str(discount))
    if off is not None and not Decimal("0") <= off <= Decimal("90"):
        raise ValidationError({"discount": _("转股折扣应在 0–90% 之间。")})

    def change(investment):
        investment.amount, investment.signed_on = amount, signed_on
        investment.trigger, investment.trigger_note = trigger, (trigger_note or "").strip()[:300]
        investment.valuation_cap, investment.discount = cap, off
        investment.repayment_date = repayment_date
        for row in rows:
            row.investment = investment
        Tranche.objects.bulk_create(rows)

    return _act(user, investment, "sign", change)


def _tranche_act(user, tranche, action: str, change) -> Tranche:
    _require(user, MANAGE)
    with transaction.atomic():
        investment = Investment.objects.select_for_update().get(pk=tranche.investment_id)
        tranche = Tranche.objects.select_for_update().get(pk=tranche.pk)
        if investment.status != S.INVESTED:
            raise ValidationError(_("投资未在存续期,不能办理批次。"))
        before = {"number": tranche.number, "status": tranche.status}
        TRANCHES.apply(tranche, action, user)
        change(tranche)
        tranche.save()
        record(
            user,
            "fund.meet_milestone" if action == "meet" else "fund.disburse",
            investment,
            before=before,
            after={"number": tranche.number, "status": tranche.status, "amount": str(tranche.amount)},
        )
        if action == "disburse":
            notices.tell_enterprise(investment, "disbursed")
    return tranche


def meet_milestone(user, tranche, evidence: str) -> Tranche:
    """Confirm a tranche's milestone met, with what shows it."""
    evidence = _text(evidence, "evidence")

    def change(tranche):
        tranche.evidence, tranche.met_at = evidence, clock.now()

    return _tranche_act(user, tranche, "meet", change)


def disburse(user, tranche, reference: str) -> Tranche:
    """Pay a tranche whose milestone is met (a tranche before its milestone: 409)."""
    reference = _text(reference, "reference", 60)

    def change(tranche):
        tranche.reference, tranche.disbursed_at = reference, clock.now()

    return _tranche_act(user, tranche, "disburse", change)


def disbursed_of(investment) -> Decimal:
    return sum((row.amount for row in investment.tranches.filter(status=T.DISBURSED)), Decimal("0"))


def convert(user, investment, *, equity_percent, note: str = "") -> Investment:
    """The trigger came: what was disbursed becomes equity (the percentage agreed by the terms)."""
    try:
        percent = Decimal(str(equity_percent))
    except (ArithmeticError, ValueError):
        raise ValidationError({"equity_percent": _("转股比例应为数字。")}) from None
    if not Decimal("0") < percent <= Decimal("100"):
        raise ValidationError({"equity_percent": _("转股比例应在 0–100% 之间。")})

    def change(investment):
        paid = disbursed_of(investment)
        if paid <= 0:
            raise ValidationError(_("尚未拨付任何批次,不能转股。"))
        investment.converted, investment.equity_percent = paid, percent
        investment.ended_on, investment.end_note = clock.today(), (note or "").strip()

    return _act(user, investment, "convert", change)


def repay(user, investment, *, amount, note: str = "") -> Investment:
    """No conversion: the enterprise repays; what it does not repay of the disbursed money is written off."""
    amount = _money(amount, "amount")

    def change(investment):
        paid = disbursed_of(investment)
        if amount > paid:
            raise ValidationError(
                {"amount": _("回收金额不能超过已拨付金额 %(paid)s 万元。") % {"paid": paid}}
            )
        investment.repaid, investment.written_off = amount, paid - amount
        investment.ended_on, investment.end_note = clock.today(), (note or "").strip()

    return _act(user, investment, "repay", change)


def write_off(user, investment, reason: str) -> Investment:
    reason = _text(reason, "reason")

    def change(investment):
        investment.written_off = disbursed_of(investment)
        investment.ended_on, investment.end_note = clock.today(), reason

    return _act(user, investment, "write_off", change)
