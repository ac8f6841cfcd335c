"""Every write of the rivers' records (ARCHITECTURE.md rule 1): a river or a section kept by administrators,
a month's reading entered or corrected by the section's department, a month of readings imported from a
spreadsheet (`spreadsheet`, which checks every row and then writes them here, all or nothing).

A reading is checked before anything is written, and each refusal names its field: the month (a month that
has begun, not before `FIRST_YEAR`, and one reading per section and month — a second is a correction, with its
reason), the class (Ⅰ–劣Ⅴ), the indicators (not negative, not beyond what water can hold) and the class
against the indicators (GB 3838-2002, single factor): a section cannot be classed better than the worst of
the indicators it reports — it may be worse, for an indicator the reading does not carry. The section's row
is locked while its month is written, so two people entering the same month cannot both succeed. A reading
that misses its target tells the department's heads (a notification, in the same transaction).
"""

import datetime
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sciencecity.audit.services import record, snapshot
from sciencecity.workdays import clock

from .. import geo
from .models import MonitoringSection, River, WaterReading
from .notices import target_missed
from .standard import BY_FIELD, INDICATOR_FIELDS, INDICATORS, UNIT, WaterClass, class_label, classes_of

RECORD = "problems.record_water_quality"
FIRST_YEAR = 2000
MAX_REASON = 500


# -- rivers and sections (administrators, in the admin) ------------------------------------------------------


def save_river(user, river: River) -> River:
    """Create or change a river (checked like a form), audited."""
    river.full_clean()
    with transaction.atomic():
        before = None
        if river.pk:
            before = snapshot(River.objects.select_for_update().get(pk=river.pk))
        river.save()
        record(user, "problems.save_river", river, before=before, after=snapshot(river))
    return river


def outside_zone_message() -> str:
    return _("该位置不在园区范围内。")


def save_section(user, section: MonitoringSection) -> MonitoringSection:
    """Create or change a monitoring section: checked like a form, its point inside the zone (the area it lies
    in is stored with it), audited."""
    for name in ("latitude", "longitude"):
        value = getattr(section, name)
        if value is not None and not isinstance(value, Decimal):
            setattr(section, name, Decimal(str(value)).quantize(Decimal("0.000001")))
    section.full_clean(exclude=["area"])
    found = geo.area_at(float(section.latitude), float(section.longitude))
    if found is None:
        raise ValidationError({"latitude": outside_zone_message()})
    section.area = found.code
    with transaction.atomic():
        before = None
        if section.pk:
            before = snapshot(MonitoringSection.objects.select_for_update().get(pk=section.pk))
        section.save()
        record(user, "problems.save_section", section, before=before, after=snapshot(section))
    return section


# -- readings --------------------------------------------------------------------------------------------------


@dataclass
class Reading:
    """What a department reports for a section and a month: the class and, optionally, the indicators (mg/L)."""

    section: MonitoringSection
    month: datetime.date | None
    water_class: int | None
    cod: Decimal | None = None
    ammonia_nitrogen: Decimal | None = None
    total_phosphorus: Decimal | None = None
    dissolved_oxygen: Decimal | None = None
    note: str = ""

    def indicators(self) -> dict:
        return {name: getattr(self, name) for name in INDICATOR_FIELDS}


def may_record(user, section: MonitoringSection) -> bool:
    """The section's department, with the permission to enter readings (and superusers, who fix data)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return (
        user.has_perm(RECORD)
        and user.department_id is not None
        and user.department_id == section.department_id
    )


def sections_recorded_by(user):
    """The active sections whose readings `user` enters."""
    queryset = MonitoringSection.objects.filter(is_active=True).select_related("river")
    if user.is_superuser:
        return queryset
    if not user.has_perm(RECORD) or user.department_id is None:
        return queryset.none()
    return queryset.filter(department_id=user.department_id)


def month_label(month: datetime.date) -> str:
    return _("%(year)d年%(month)d月") % {"year": month.year, "month": month.month}


def _decimal(value, name: str):
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({name: _("请填写数字。")}) from None
    if not number.is_finite():
        raise ValidationError({name: _("请填写数字。")})
    return number


def clean_reading(data: Reading, today: datetime.date | None = None) -> Reading:
    """The reading with its month on the first day and its numbers rounded as stored, or a ValidationError
    naming every wrong field."""
    today = today or clock.today()
    errors = {}
    month = data.month
    if isinstance(month, datetime.datetime):
        month = month.date()
    if not isinstance(month, datetime.date):
        errors["month"] = _("请填写监测月份。")
    else:
        month = month.replace(day=1)
        if month > today.replace(day=1):
            errors["month"] = _("监测月份不能晚于本月。")
        elif month.year < FIRST_YEAR:
            errors["month"] = _("监测月份不能早于 %(year)d 年。") % {"year": FIRST_YEAR}
    water_class = data.water_class
    try:
        water_class = int(water_class)
    except (TypeError, ValueError):
        water_class = None
    if water_class not in WaterClass.values:
        errors["water_class"] = _("请选择水质类别(Ⅰ类至劣Ⅴ类)。")
    values = {}
    for indicator in INDICATORS:
        name = indicator.field
        try:
            value = _decimal(getattr(data, name), name)
        except ValidationError as error:
            errors.update(error.message_dict)
            continue
        if value is not None:
            places = WaterReading._meta.get_field(name).decimal_places
            value = value.quantize(Decimal(1).scaleb(-places))
            if value < 0 or value > indicator.maximum:
                errors[name] = _("%(name)s应在 0 至 %(max)s %(unit)s 之间。") % {
                    "name": indicator.label,
                    "max": indicator.maximum,
                    "unit": UNIT,
                }
                continue
        values[name] = value
    if "water_class" not in errors and not any(name in errors for name in INDICATOR_FIELDS):
        classes = classes_of(values)
        implied = max(classes.values(), default=None)
        if implied is not None and water_class < implied:
            drivers = "、".join(
                _("%(name)s %(value)s %(unit)s 属%(class)s")
                % {
                    "name": BY_FIELD[name].label,
                    "value": values[name],
                    "unit": UNIT,
                    "class": class_label(number),
                }
                for name, number in classes.items()
                if number == implied
            )
            errors["water_class"] = _(
                "水质类别与指标不符:%(drivers)s,按 GB 3838-2002 单因子评价,断面水质至少为%(implied)s,不能评为%(given)s。"
            ) % {"drivers": drivers, "implied": class_label(implied), "given": class_label(water_class)}
    note = (data.note or "").strip()
    if len(note) > 500:
        errors["note"] = _("备注不能超过 %(n)d 个字。") % {"n": 500}
    if "\x00" in note:
        errors["note"] = _("内容含有不允许的字符。")
    if errors:
        raise ValidationError(errors)
    return Reading(section=data.section, month=month, water_class=water_class, note=note, **values)


def _duplicate(section, month) -> ValidationError:
    return ValidationError(
        {
            "month": ValidationError(
                _("%(section)s %(month)s 的监测数据已经录入;如需修改,请更正该条数据。")
                % {"section": section.display_name, "month": month_label(month)},
                code="duplicate_month",
            )
        }
    )


def _values(reading: Reading) -> dict:
    return {f.name: getattr(reading, f.name) for f in fields(Reading) if f.name != "section"}


def _audit_values(reading: WaterReading) -> dict:
    data = {"month": reading.month.isoformat(), "water_class": reading.water_class}
    data.update(
        {name: str(getattr(reading, name)) for name in INDICATOR_FIELDS if getattr(reading, name) is not None}
    )
    if reading.note:
        data["note"] = reading.note
    return data


def record_reading(user, data: Reading, *, source: str = WaterReading.Source.ENTERED) -> WaterReading:
    """Enter a section's reading of a month (the section's department)."""
    if not may_record(user, data.section):
        raise PermissionDenied(_("只有该断面的责任部门可以录入监测数据。"))
    cleaned = clean_reading(data)
    with transaction.atomic():
        section = MonitoringSection.objects.select_for_update().get(pk=cleaned.section.pk)
        if not section.is_active:
            raise ValidationError({"section": _("该断面已停用,不再录入监测数据。")})
        if WaterReading.objects.filter(section=section, month=cleaned.month).exists():
            raise _duplicate(section, cleaned.month)
        try:
            with transaction.atomic():
                reading = WaterReading.objects.create(
                    section=section,
                    source=source,
                    recorded_by=user,
                    recorded_at=clock.now(),
                    **_values(cleaned),
                )
        except IntegrityError:  # entered by someone else since the check (another database's lock)
            raise _duplicate(section, cleaned.month) from None
        record(
            user,
            "problems.record_water_reading",
            reading,
            after={"section": section.code, **_audit_values(reading)},
        )
        if reading.water_class > section.target_class:
            target_missed(section, reading)
    return reading


def correct_reading(user, reading: WaterReading, data: Reading, reason: str) -> WaterReading:
    """Correct an entered reading (its department), with the reason: the month stays, the rest may change."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请说明更正的原因。")})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": _("说明不能超过 %(n)s 个字。") % {"n": MAX_REASON}})
    with transaction.atomic():
        reading = WaterReading.objects.select_for_update().select_related("section").get(pk=reading.pk)
        section = reading.section
        if not may_record(user, section):
            raise PermissionDenied(_("只有该断面的责任部门可以更正监测数据。"))
        cleaned = clean_reading(
            Reading(**{**_values(data), "section": section, "month": reading.month}),
            today=max(clock.today(), reading.month),
        )
        before = _audit_values(reading)
        missed_before = reading.water_class > section.target_class
        for name, value in _values(cleaned).items():
            setattr(reading, name, value)
        reading.corrected_at = clock.now()
        reading.save()
        record(
            user,
            "problems.correct_water_reading",
            reading,
            before=before,
            after={**_audit_values(reading), "reason": reason},
        )
        if reading.water_class > section.target_class and not missed_before:
            target_missed(section, reading)
    return reading
