"""{% deadline day provisional %}: a stored deadline on a page, marked 暂定 when it is provisional."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag
def deadline(day, provisional=False):
    """The ISO date ("—" when there is none); a provisional one carries a 暂定 tag that says why."""
    if day is None or day == "":
        return "—"
    if not provisional:
        return day.isoformat()
    return format_html(
        '{} <span class="tag provisional" title="{}">{}</span>',
        day.isoformat(),
        gettext("该年的法定节假日安排尚未公布,期限按法定节假日暂算;安排确认后将重新计算并通知您。"),
        gettext("暂定"),
    )
