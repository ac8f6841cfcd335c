"""Target delivery dates on the pages (定日出件): the date with the bundle's name for it, and its risk.

    {% load target_dates %}
    {% target_date_fact application %}    a <dt>/<dd> pair for a facts list: "交地日期 2026-06-19 [有风险]"
    {% target_risk_badge risk %}          the badge of a risk value (`approvals.target_dates.Risk`, "" on track)

Lists pass the risk they read annotated (`target_dates.annotate_risk`); `target_date_fact` reads it for one
application (one query, only when the application has a target date and is not yet delivered).
"""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext

from ..target_dates import ACTIVE, Risk, risk_label, risk_of

register = template.Library()

RED_REASONS = (Risk.PASSED, Risk.LATE_DEADLINE)


@register.simple_tag
def target_risk_badge(risk: str | None, status: str = ""):
    """Red for a date passed or deadlines after it, yellow for a date near with review unfinished, green
    ("on track") otherwise; nothing for an application delivered or closed (`status` outside ACTIVE)."""
    if status and status not in ACTIVE:
        return ""
    if not risk:
        return format_html('<span class="light green">{}</span>', gettext("按期"))
    colour = "red" if risk in RED_REASONS else "yellow"
    return format_html(
        '<span class="light {}" data-target-risk="{}">{}</span>', colour, risk, risk_label(risk)
    )


@register.inclusion_tag("approvals/_target_date_fact.html")
def target_date_fact(application):
    bundle = application.bundle
    shown = bundle.asks_target_date or application.target_date is not None
    risk = ""
    if shown and application.target_date is not None and application.status in ACTIVE:
        risk = risk_of(application)
    return {
        "shown": shown,
        "label": bundle.display_target_date_label or gettext("目标交付日期"),
        "application": application,
        "risk": risk,
        "active": application.status in ACTIVE and application.target_date is not None,
    }
