"""Reads of policies that the pages and the API share: conditions worded for people, an enterprise's policies
with its verdicts (what it qualifies for, what to complete, what it fails), and the enterprises a policy finds
(政策找企业) with the officer's filters."""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.enterprises.facts import FACTS, FLAG, NUMBER

from .models import Condition, Policy, PolicyMatch, PolicyNotice
from .services.matching import in_force

OPERATOR_LABELS = {
    ">=": gettext_lazy("不低于"),
    ">": gettext_lazy("高于"),
    "<=": gettext_lazy("不高于"),
    "<": gettext_lazy("低于"),
    "==": gettext_lazy("等于"),
    "!=": gettext_lazy("不等于"),
    "in": gettext_lazy("属于"),
    "contains": gettext_lazy("包含"),
}


def value_text(fact, value) -> str:
    labels = dict(fact.choices)
    if fact.kind == FLAG:
        return _("是") if value else _("否")
    if fact.kind == NUMBER:
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, list):
        return "、".join(str(labels.get(item, item)) for item in value)
    return str(labels.get(value, value))


def describe(condition) -> str:
    """A condition as a sentence of the guide: "研发人员占比(%) 不低于 10"; "高新技术企业:是"."""
    fact_code = condition["fact"] if isinstance(condition, dict) else condition.fact
    operator = condition["operator"] if isinstance(condition, dict) else condition.operator
    value = condition["value"] if isinstance(condition, dict) else condition.value
    fact = FACTS.get(fact_code)
    if fact is None:  # a fact withdrawn from the file since: still shown, never hidden
        return f"{fact_code} {operator} {value}"
    if fact.kind == FLAG:
        return (
            f"{fact.label}:{value_text(fact, value)}" if value else _("不是%(fact)s") % {"fact": fact.label}
        )
    return f"{fact.label} {OPERATOR_LABELS.get(operator, operator)} {value_text(fact, value)}"


def fact_label(code: str) -> str:
    fact = FACTS.get(code)
    return str(fact.label) if fact else code


@dataclass
class Verdict:
    """An enterprise's standing for one policy, worded: eligible, or the conditions failed and the facts to
    complete; `verdict` is "" where nothing has been computed yet."""

    policy: Policy
    verdict: str
    failed: list
    missing: list
    computed_at: datetime.datetime | None


def conditions_of(policies) -> dict[int, list[Condition]]:
    found: dict[int, list[Condition]] = {}
    for row in Condition.objects.filter(policy__in=list(policies)).order_by("policy_id", "order", "id"):
        found.setdefault(row.policy_id, []).append(row)
    return found


def verdicts_for(enterprise, policies) -> list[Verdict]:
    """The enterprise's verdict for each of `policies`, eligible first, then incomplete, then the rest."""
    policies = list(policies)
    matches = {
        match.policy_id: match
        for match in PolicyMatch.objects.filter(enterprise=enterprise, policy__in=policies)
    }
    rows = conditions_of(policies)
    verdicts = []
    for policy in policies:
        policy.condition_rows = rows.get(policy.pk, [])
        match = matches.get(policy.pk)
        if match is None:
            verdicts.append(Verdict(policy, "", [], [], None))
            continue
        failed = [describe(policy.condition_rows[i]) for i in match.failed if i < len(policy.condition_rows)]
        verdicts.append(
            Verdict(
                policy, match.verdict, failed, [fact_label(code) for code in match.missing], match.computed_at
            )
        )
    order = {PolicyMatch.Verdict.ELIGIBLE: 0, PolicyMatch.Verdict.UNKNOWN: 1, "": 2}
    verdicts.sort(key=lambda row: (order.get(row.verdict, 3), row.policy.area, row.policy.code))
    return verdicts


def policies_in_force(user, today: datetime.date):
    return Policy.objects.for_user(user) & in_force(today)


FINDS = (PolicyMatch.Verdict.ELIGIBLE, PolicyMatch.Verdict.UNKNOWN)


def enterprises_found(policy: Policy, *, verdict: str = PolicyMatch.Verdict.ELIGIBLE, filters=None):
    """The enterprises `policy` finds: its stored verdicts of `verdict` (eligible, or incomplete) with the
    enterprise joined and whether it was told (`told`), filtered by name or credit code, chain, size, told
    or not; in the order of the index (policy, verdict, enterprise), so a page is read without sorting the
    whole list."""
    filters = filters or {}
    rows = (
        PolicyMatch.objects.filter(policy=policy, verdict=verdict)
        .select_related("enterprise")
        .annotate(
            told=Exists(PolicyNotice.objects.filter(policy=policy, enterprise_id=OuterRef("enterprise_id")))
        )
    )
    query = (filters.get("q") or "").strip()
    if query:
        rows = rows.filter(Q(enterprise__name__startswith=query) | Q(enterprise__credit_code=query.upper()))
    if filters.get("chain"):
        rows = rows.filter(enterprise__chain=filters["chain"])
    if filters.get("size"):
        rows = rows.filter(enterprise__size=filters["size"])
    if filters.get("told") in ("yes", "no"):
        rows = rows.filter(told=filters["told"] == "yes")
    return rows.order_by("enterprise_id")
