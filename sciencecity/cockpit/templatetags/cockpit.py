"""How the cockpit writes a figure: thousands grouped, at most the figure's decimals, a dash for none."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def figure(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number == int(number) and abs(number) < 1e15:
        return f"{int(number):,}"
    return f"{number:,.2f}".rstrip("0").rstrip(".")


@register.filter
def signed(value, unit="%") -> str:
    """A change with its sign: +12.5%, −3%, or for a rate +1.2 percentage points; a dash for none."""
    if value is None:
        return "—"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    if unit == "pp":
        return _("%(sign)s%(points)s 个百分点") % {"sign": sign, "points": figure(abs(value))}
    return f"{sign}{figure(abs(value))}%"
