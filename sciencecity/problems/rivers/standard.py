"""GB 3838-2002 (地表水环境质量标准): the water-quality classes Ⅰ–Ⅴ and 劣Ⅴ, and the limits of the four key
indicators the monthly readings may carry — chemical oxygen demand (COD), ammonia nitrogen (NH3-N), total
phosphorus (TP, the limits for rivers; lakes and reservoirs have stricter ones) and dissolved oxygen (DO), all
in mg/L.

A class is stored as its number (1 = Ⅰ … 5 = Ⅴ, 6 = 劣Ⅴ): a lower number is cleaner water, and "better than
the target by N classes" is a subtraction. A reading's indicators are classed by the single-factor method of
the standard's assessment (单因子评价): each indicator falls in the best class whose limit it meets, and the
indicators together in the worst of theirs.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

UNIT = "mg/L"


class WaterClass(models.IntegerChoices):
    I = 1, _("Ⅰ类")  # noqa: E741 - the standard's own name
    II = 2, _("Ⅱ类")
    III = 3, _("Ⅲ类")
    IV = 4, _("Ⅳ类")
    V = 5, _("Ⅴ类")
    WORSE_THAN_V = 6, _("劣Ⅴ类")


# The short names charts put on an axis (the same in every language, as the standard writes them).
SHORT = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ", 5: "Ⅴ", 6: "劣Ⅴ"}


def class_label(value) -> str:
    """The class's name in the active language ("Ⅳ类", "Class IV"); "" for none."""
    if value is None:
        return ""
    return str(WaterClass(value).label)


@dataclass(frozen=True)
class Indicator:
    """One indicator of a reading: the field that stores it, its name, and the limits of classes Ⅰ–Ⅴ in
    mg/L — upper limits, or lower limits for dissolved oxygen (more is cleaner)."""

    field: str
    label: object
    symbol: str
    limits: tuple[Decimal, Decimal, Decimal, Decimal, Decimal]
    lower_limit: bool = False
    maximum: Decimal = Decimal("1000")  # above this a value is a typing error, not a measurement

    def class_of(self, value) -> int:
        value = Decimal(str(value))
        for number, limit in enumerate(self.limits, start=1):
            if (value >= limit) if self.lower_limit else (value <= limit):
                return number
        return WaterClass.WORSE_THAN_V


def _limits(*values: str) -> tuple:
    return tuple(Decimal(value) for value in values)


INDICATORS = (
    Indicator("cod", _("化学需氧量"), "COD", _limits("15", "15", "20", "30", "40")),
    Indicator(
        "ammonia_nitrogen",
        _("氨氮"),
        "NH3-N",
        _limits("0.15", "0.5", "1.0", "1.5", "2.0"),
        maximum=Decimal("100"),
    ),
    Indicator(
        "total_phosphorus",
        _("总磷"),
        "TP",
        _limits("0.02", "0.1", "0.2", "0.3", "0.4"),
        maximum=Decimal("50"),
    ),
    Indicator(
        "dissolved_oxygen",
        _("溶解氧"),
        "DO",
        _limits("7.5", "6", "5", "3", "2"),
        lower_limit=True,
        maximum=Decimal("20"),
    ),
)
INDICATOR_FIELDS = tuple(indicator.field for indicator in INDICATORS)
BY_FIELD = {indicator.field: indicator for indicator in INDICATORS}


def classes_of(values: dict) -> dict[str, int]:
    """{field: class} of the indicators given (None values left out)."""
    return {
        field: BY_FIELD[field].class_of(value)
        for field, value in values.items()
        if field in BY_FIELD and value is not None
    }


def class_of(values: dict) -> int | None:
    """The single-factor class of the indicators given: the worst of theirs; None when none is given."""
    classes = classes_of(values)
    return max(classes.values()) if classes else None
