"""The facts of an enterprise that policy conditions may name (申报条件 as data), read from its file.

Each fact has a type that decides which operators a condition may use with it (`OPERATORS`) and how its value
is checked. A fact the file does not hold yet (no yearly figures, no headcount) is None: the policy's verdict
for that enterprise is then "unknown", naming what to complete, never a silent "not eligible".

`facts_for(enterprises, today)` reads any number of enterprises with a fixed number of queries (their yearly
figures, qualifications and platforms in one query each), for the matching of a whole zone.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from .models import Chain, EnterpriseYear, InnovationPlatform, Qualification, Size

NUMBER, CHOICE, FLAG, SET = "number", "choice", "flag", "set"
# The operators each type of fact allows (JSONLogic's names).
OPERATORS = {
    NUMBER: (">=", ">", "<=", "<", "==", "!="),
    CHOICE: ("==", "!=", "in"),
    FLAG: ("==",),
    SET: ("contains",),
}


@dataclass(frozen=True)
class Fact:
    code: str
    label: object  # a lazy text
    kind: str
    choices: tuple = ()  # (value, label) for CHOICE and SET


FACTS = {
    fact.code: fact
    for fact in (
        Fact("size", _("企业规模"), CHOICE, tuple(Size.choices)),
        Fact("chain", _("所属产业链"), CHOICE, tuple(Chain.choices)),
        Fact("age_years", _("成立年限(年)"), NUMBER),
        Fact("registered_capital", _("注册资本(万元)"), NUMBER),
        Fact("employees", _("从业人员"), NUMBER),
        Fact("rd_staff", _("研发人员"), NUMBER),
        Fact("rd_staff_share", _("研发人员占比(%)"), NUMBER),
        Fact("revenue", _("上年营业收入(万元)"), NUMBER),
        Fact("rd_spending", _("上年研发投入(万元)"), NUMBER),
        Fact("rd_intensity", _("上年研发投入强度(%)"), NUMBER),
        Fact("revenue_growth", _("上年营业收入增长率(%)"), NUMBER),
        Fact("is_high_tech", _("高新技术企业"), FLAG),
        Fact("is_tech_based", _("科技型企业"), FLAG),
        Fact("qualifications", _("有效资质"), SET, tuple(Qualification.Kind.choices)),
        Fact("platform_levels", _("依托创新平台的级别"), SET, tuple(InnovationPlatform.Level.choices)),
    )
}


def _percent(part, whole) -> float | None:
    if part is None or not whole:
        return None
    return round(float(Decimal(part) * 100 / Decimal(whole)), 2)


def facts_for(enterprises, today: datetime.date) -> dict[int, dict]:
    """{enterprise id: {fact: value or None}} for `enterprises` (instances), as of `today`."""
    ids = [enterprise.pk for enterprise in enterprises]
    last_year = today.year - 1
    figures: dict[int, dict] = {}
    for row in EnterpriseYear.objects.filter(
        enterprise_id__in=ids, year__in=(last_year - 1, last_year)
    ).values("enterprise_id", "year", "revenue", "rd_spending"):
        figures.setdefault(row["enterprise_id"], {})[row["year"]] = row
    qualifications: dict[int, set] = {}
    for enterprise_id, kind, since, until in Qualification.objects.filter(enterprise_id__in=ids).values_list(
        "enterprise_id", "kind", "valid_from", "valid_until"
    ):
        if since <= today and (until is None or today <= until):
            qualifications.setdefault(enterprise_id, set()).add(kind)
    levels: dict[int, set] = {}
    for enterprise_id, level, until in InnovationPlatform.objects.filter(enterprise_id__in=ids).values_list(
        "enterprise_id", "level", "valid_until"
    ):
        if until is None or today <= until:
            levels.setdefault(enterprise_id, set()).add(level)
    found = {}
    for enterprise in enterprises:
        years = figures.get(enterprise.pk, {})
        last, before = years.get(last_year), years.get(last_year - 1)
        age = None
        if enterprise.founded_on:
            age = (today - enterprise.founded_on).days // 365
        found[enterprise.pk] = {
            "size": enterprise.size or None,
            "chain": enterprise.chain or None,
            "age_years": age,
            "registered_capital": float(enterprise.registered_capital)
            if enterprise.registered_capital is not None
            else None,
            "employees": enterprise.employees,
            "rd_staff": enterprise.rd_staff,
            "rd_staff_share": _percent(enterprise.rd_staff, enterprise.employees),
            "revenue": float(last["revenue"]) if last else None,
            "rd_spending": float(last["rd_spending"]) if last else None,
            "rd_intensity": _percent(last["rd_spending"], last["revenue"]) if last else None,
            "revenue_growth": round(_percent(last["revenue"], before["revenue"]) - 100, 2)
            if last and before and before["revenue"]
            else None,
            "is_high_tech": enterprise.is_high_tech,
            "is_tech_based": enterprise.is_tech_based,
            "qualifications": sorted(qualifications.get(enterprise.pk, ())),
            "platform_levels": sorted(levels.get(enterprise.pk, ())),
        }
    return found
