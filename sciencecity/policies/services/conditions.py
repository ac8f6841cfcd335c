"""A policy's eligibility as condition rows, checked against the facts of the enterprise file
(`enterprises.facts`) and compiled to JSONLogic, which datalogic-py (a maintained engine) evaluates.

A condition is {"fact", "operator", "value"}: the fact must be known, the operator one its type allows, the
value of its type (a number, one of its choices, a list of choices for "in", true or false). Each condition is
also kept alone as JSONLogic, so that a verdict can name the conditions an enterprise fails and the facts its
file lacks; the policy's whole rule (all / any of them) is stored on the policy for other consumers.
"""

import json
from functools import lru_cache

import datalogic_py
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from sciencecity.enterprises.facts import CHOICE, FACTS, FLAG, NUMBER, OPERATORS, SET

MAX_CONDITIONS = 20


def check(rows: list) -> list[dict]:
    """The rows cleaned, or a ValidationError naming each wrong row ("conditions.<n>")."""
    if not isinstance(rows, list) or len(rows) > MAX_CONDITIONS:
        raise ValidationError({"conditions": _("条件最多 %(max)s 条。") % {"max": MAX_CONDITIONS}})
    errors, cleaned = {}, []
    for number, row in enumerate(rows, 1):
        key = f"conditions.{number}"
        if not isinstance(row, dict):
            errors[key] = _("第 %(n)s 条条件格式不正确。") % {"n": number}
            continue
        fact = FACTS.get(str(row.get("fact", "")))
        operator, value = row.get("operator"), row.get("value")
        if fact is None:
            errors[key] = _("第 %(n)s 条:未知的条件项“%(fact)s”。") % {
                "n": number,
                "fact": str(row.get("fact"))[:40],
            }
            continue
        if operator not in OPERATORS[fact.kind]:
            errors[key] = _("第 %(n)s 条:“%(fact)s”不能用“%(operator)s”比较,可用:%(allowed)s。") % {
                "n": number,
                "fact": fact.label,
                "operator": str(operator)[:10],
                "allowed": " ".join(OPERATORS[fact.kind]),
            }
            continue
        problem = _value_problem(fact, operator, value)
        if problem:
            errors[key] = _("第 %(n)s 条:%(problem)s") % {"n": number, "problem": problem}
            continue
        cleaned.append({"fact": fact.code, "operator": operator, "value": _normal(fact, value)})
    if errors:
        raise ValidationError(errors)
    return cleaned


def _value_problem(fact, operator, value) -> str:
    choices = {code for code, _label in fact.choices}
    if fact.kind == NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _("值应为数字。")
    elif fact.kind == FLAG:
        if not isinstance(value, bool):
            return _("值应为是或否。")
    elif fact.kind == CHOICE and operator == "in":
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(item, str) and item in choices for item in value)
        ):
            return _("值应为可选项的列表:%(choices)s。") % {"choices": " ".join(sorted(choices))}
    elif fact.kind in (CHOICE, SET) and not (isinstance(value, str) and value in choices):
        return _("值应为以下之一:%(choices)s。") % {"choices": " ".join(sorted(choices))}
    return ""


def _normal(fact, value):
    return float(value) if fact.kind == NUMBER else value


def as_logic(condition: dict) -> dict:
    """One condition as JSONLogic over the facts (`{"var": fact}`)."""
    var = {"var": condition["fact"]}
    if condition["operator"] == "contains":
        return {"in": [condition["value"], var]}  # the value is among the fact's list
    if condition["operator"] == "in":
        return {"in": [var, condition["value"]]}
    return {condition["operator"]: [var, condition["value"]]}


def rule_of(conditions: list[dict], mode: str) -> dict:
    """The whole rule: all (or any) of the conditions; an empty list is true (a policy for everyone)."""
    if not conditions:
        return {"==": [1, 1]}
    return {"and" if mode == "all" else "or": [as_logic(condition) for condition in conditions]}


_engine = datalogic_py.Engine()


@lru_cache(maxsize=4096)
def _compiled(logic_json: str):
    return _engine.compile(json.loads(logic_json))


def compiled(condition: dict):
    """The condition's JSONLogic compiled by the engine (cached by its text): compile once, evaluate often."""
    return _compiled(json.dumps(as_logic(condition), sort_keys=True))


def holds(condition: dict, facts: dict, rule=None) -> bool | None:
    """Whether `facts` meet `condition` (`rule`: its `compiled` form, if the caller holds it): None when the
    fact is unknown (the file lacks it)."""
    if facts.get(condition["fact"]) is None:
        return None
    return bool((rule or compiled(condition)).evaluate(facts))
