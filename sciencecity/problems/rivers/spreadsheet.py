"""A month's readings from a spreadsheet, as the monitoring station reports them: one row per section, all or
nothing.

The first sheet's first row names the columns — 断面编码, 水质类别, and optionally 化学需氧量, 氨氮, 总磷, 溶解氧
(mg/L) and 备注 (the English names `code`, `class`, `cod`, `nh3-n`, `tp`, `do`, `note` are read too; other
columns, such as 断面名称, are ignored). A class is written as the standard writes it (Ⅳ, Ⅳ类, IV, 劣Ⅴ) or
as its number (1–6). Every row is checked as one reading entered on the page (`services.clean_reading`), and
against the others: an unknown section, a section of another department, a section twice in the file, a
section whose month is already entered. If any row is wrong nothing is written and every error is named
(row, column, message); otherwise every row is written through `services.record_reading` in one transaction.
`template` gives the sheet to fill: the columns, and a row for each section of the user's department.
"""

import datetime
import re
import zipfile
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from sciencecity.audit.services import record
from sciencecity.workflow.spreadsheets import write_workbook

from .models import MonitoringSection, WaterReading
from .services import Reading, clean_reading, may_record, month_label, record_reading, sections_recorded_by
from .standard import SHORT, WaterClass

MAX_FILE_MB = 5
MAX_ROWS = 2000

# column key → the headers it is recognised by (compared without spaces, units and case)
COLUMNS = {
    "section": ("断面编码", "code", "section"),
    "water_class": ("水质类别", "class", "waterclass", "water_class"),
    "cod": ("化学需氧量", "cod"),
    "ammonia_nitrogen": ("氨氮", "nh3-n", "nh3n", "ammonianitrogen", "ammonia_nitrogen"),
    "total_phosphorus": ("总磷", "tp", "totalphosphorus", "total_phosphorus"),
    "dissolved_oxygen": ("溶解氧", "do", "dissolvedoxygen", "dissolved_oxygen"),
    "note": ("备注", "note"),
}
REQUIRED = ("section", "water_class")
ROMAN = {"Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III", "Ⅳ": "IV", "Ⅴ": "V"}
CLASS_WORDS = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "劣V": 6}


@dataclass(frozen=True)
class RowError:
    row: int | None  # the row's number in the sheet (1 is the header); None for the file as a whole
    column: str  # the column's header as written ("" for the row as a whole)
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Result:
    month: datetime.date | None = None
    created: list = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _key(header) -> str:
    text = re.sub(r"[(（].*?[)）]", "", str(header or ""))
    return re.sub(r"\s+", "", text).lower()


def parse_class(value) -> int | None:
    """1–6 from "Ⅳ", "Ⅳ类", "IV", "4", "劣Ⅴ类", "劣V"; None when it is none of them."""
    if value is None:
        return None
    if isinstance(value, int | float) and float(value).is_integer() and 1 <= int(value) <= 6:
        return int(value)
    text = str(value).strip().replace("类", "").replace(" ", "").upper()
    for numeral, latin in ROMAN.items():
        text = text.replace(numeral, latin)
    if text.isdigit() and 1 <= int(text) <= 6:
        return int(text)
    return CLASS_WORDS.get(text)


def _rows(upload):
    if upload.size > MAX_FILE_MB * 1024 * 1024:
        raise ValidationError({"file": _("文件不能超过 %(mb)d MB。") % {"mb": MAX_FILE_MB}})
    try:
        book = load_workbook(upload, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise ValidationError({"file": _("无法读取该文件,请上传 Excel(.xlsx)文件。")}) from None
    try:
        sheet = book.worksheets[0]
        return list(sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2))
    finally:
        book.close()


def import_readings(user, upload, month: datetime.date) -> Result:
    """Check every row of `upload` as the readings of `month`; write them all if none is wrong."""
    if not sections_recorded_by(user).exists():
        raise PermissionDenied(_("只有断面的责任部门可以导入监测数据。"))
    result = Result()
    try:
        result.month = clean_reading(Reading(section=None, month=month, water_class=1)).month
    except ValidationError as error:
        raise ValidationError({"month": error.message_dict["month"]}) from None
    rows = _rows(upload)
    if not rows:
        result.errors.append(RowError(None, "", _("文件是空的。")))
        return result
    headers = list(rows[0])
    where = {}
    for index, header in enumerate(headers):
        for key, names in COLUMNS.items():
            if _key(header) in names and key not in where:
                where[key] = index
    missing = [COLUMNS[key][0] for key in REQUIRED if key not in where]
    if missing:
        result.errors.append(RowError(1, "", _("缺少列:%(columns)s。") % {"columns": "、".join(missing)}))
        return result
    body = rows[1:]
    if len(body) > MAX_ROWS:
        result.errors.append(RowError(None, "", _("一次最多导入 %(n)d 行。") % {"n": MAX_ROWS}))
        return result

    def cell(row, key):
        index = where.get(key)
        return row[index] if index is not None and index < len(row) else None

    def header_of(key) -> str:
        index = where.get(key)
        return str(headers[index]) if index is not None else ""

    codes = {str(cell(row, "section") or "").strip() for row in body}
    sections = {s.code: s for s in MonitoringSection.objects.filter(code__in=codes).select_related("river")}
    entered = set(
        WaterReading.objects.filter(month=result.month, section__code__in=codes).values_list(
            "section__code", flat=True
        )
    )
    seen = {}
    readings = []
    for number, row in enumerate(body, start=2):
        if all(value is None or str(value).strip() == "" for value in row):
            continue
        code = str(cell(row, "section") or "").strip()
        section = sections.get(code)
        if not code:
            result.errors.append(RowError(number, header_of("section"), _("请填写断面编码。")))
            continue
        if section is None:
            result.errors.append(
                RowError(number, header_of("section"), _("没有编码为 %(code)s 的断面。") % {"code": code})
            )
            continue
        if not may_record(user, section):
            result.errors.append(
                RowError(number, header_of("section"), _("断面 %(code)s 不由您的部门录入。") % {"code": code})
            )
            continue
        if code in seen:
            result.errors.append(
                RowError(
                    number,
                    header_of("section"),
                    _("断面 %(code)s 与第 %(row)d 行重复。") % {"code": code, "row": seen[code]},
                )
            )
            continue
        seen[code] = number
        if code in entered:
            result.errors.append(
                RowError(
                    number,
                    header_of("section"),
                    _("%(section)s %(month)s 的监测数据已经录入;如需修改,请在断面页面更正。")
                    % {"section": section.display_name, "month": month_label(result.month)},
                )
            )
            continue
        raw_class = cell(row, "water_class")
        water_class = parse_class(raw_class)
        if water_class is None:
            result.errors.append(
                RowError(
                    number,
                    header_of("water_class"),
                    _("无法识别水质类别“%(value)s”,请填写 Ⅰ 至 Ⅴ 或 劣Ⅴ。")
                    % {"value": raw_class if raw_class is not None else ""},
                )
            )
            continue
        reading = Reading(
            section=section,
            month=result.month,
            water_class=water_class,
            note=str(cell(row, "note") or ""),
            **{
                key: cell(row, key)
                for key in ("cod", "ammonia_nitrogen", "total_phosphorus", "dissolved_oxygen")
            },
        )
        try:
            readings.append(clean_reading(reading))
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                for message in messages:
                    result.errors.append(RowError(number, header_of(key), message))
    if not readings and not result.errors:
        result.errors.append(RowError(None, "", _("文件中没有数据行。")))
    if result.errors:
        return result
    with transaction.atomic():
        for reading in readings:
            result.created.append(record_reading(user, reading, source=WaterReading.Source.IMPORTED))
        record(
            user,
            "problems.import_water_readings",
            None,
            after={
                "month": result.month.isoformat(),
                "file": getattr(upload, "name", ""),
                "sections": [reading.section.code for reading in readings],
            },
        )
    return result


def template(user, month: datetime.date | None = None):
    """The workbook to fill for a month: the columns, and one row per section the user's department enters."""
    headers = [
        "断面编码",
        "断面名称",
        "水质类别",
        "化学需氧量(mg/L)",
        "氨氮(mg/L)",
        "总磷(mg/L)",
        "溶解氧(mg/L)",
        "备注",
    ]
    rows = [
        [section.code, f"{section.river.name} {section.name}", "", None, None, None, None, ""]
        for section in sections_recorded_by(user)
    ]
    guide = [
        [_("每个断面一行;水质类别填 Ⅰ、Ⅱ、Ⅲ、Ⅳ、Ⅴ 或 劣Ⅴ(也可填 1 至 6);指标单位为 mg/L,可不填。")],
        [_("可选的水质类别:") + " " + "、".join(SHORT[value] for value in WaterClass.values)],
    ]
    return write_workbook([(_("监测数据"), headers, rows), (_("填写说明"), [_("说明")], guide)])
