"""The power list as a spreadsheet: the columns the zone receives it in, reading a workbook row by row with
a reason for every wrong cell, and writing the list back out in the same columns (streamed from disk).

Each header is the label of the field it fills (`权力编码`, `权力名称`, `实施部门` …) and is recognised in any
of the site's languages, whatever the language of the file it came from; a kind or status is its label (in
either language) or its stored code; a department is its code or its name; the implementing items are item
codes separated by commas, 、 or spaces. The export writes exactly these columns, so an exported list
imports back unchanged.
"""

import datetime
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from sciencecity.workflow.spreadsheets import (
    CellError,
    header_key,
    in_every_language,
    text,
    write_workbook,
    xlsx_response,
)

from .models import DevolvedPower, PowerItem, PowerKind

MAX_FILE_MB = 10
MAX_ROWS = 5000  # a power list is hundreds of rows; thousands is a wrong file
ITEM_SEPARATORS = re.compile(r"[\s,,、;;]+")
CODE = re.compile(r"^[-a-zA-Z0-9_]+$")
DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


class SheetFileError(Exception):
    """The file cannot be read as a power list at all (not a workbook, no header row, too many rows)."""


# --- readers: a cell's value, or CellError ----------------------------------------------------------------


def code(value) -> str:
    typed = text(value)
    if not CODE.match(typed):
        raise CellError(
            _("“%(value)s”不是有效的编码:只能包含字母、数字、连字符和下划线。") % {"value": typed}
        )
    if len(typed) > 40:
        raise CellError(_("编码不能超过 40 个字符。"))
    return typed


def position(value) -> int:
    typed = text(value)
    if not typed.isdigit() or int(typed) > 99999:
        raise CellError(_("“%(value)s”不是有效的序号,应为 0 到 99999 的整数。") % {"value": typed})
    return int(typed)


def date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    found = DATE.match(text(value))
    if found is not None:
        try:
            return datetime.date(int(found[1]), int(found[2]), int(found[3]))
        except ValueError:
            pass
    raise CellError(_("“%(value)s”不是有效的日期,应为 YYYY-MM-DD 格式,如 2021-03-01。") % {"value": value})


def choice(choices) -> Callable:
    """A reader of choices: the stored code, or the label in any language."""
    known: dict[str, str] = {}

    def read(value):
        if not known:
            for stored, label in choices.choices:
                known.update(dict.fromkeys({header_key(stored), *in_every_language(label)}, stored))
        found = known.get(header_key(text(value)))
        if found is None:
            raise CellError(
                _("“%(value)s”不是有效的选项,可选:%(choices)s。")
                % {"value": text(value), "choices": "、".join(str(label) for label in choices.labels)}
            )
        return found

    return read


def item_codes(value) -> list[str]:
    codes = [part for part in ITEM_SEPARATORS.split(text(value)) if part]
    wrong = [part for part in codes if not CODE.match(part) or len(part) > 60]
    if wrong:
        raise CellError(_("“%(value)s”不是有效的事项编码。") % {"value": "、".join(wrong)})
    return list(dict.fromkeys(codes))


def _limited(limit: int) -> Callable:
    def read(value):
        typed = text(value)
        if len(typed) > limit:
            raise CellError(_("不能超过 %(limit)d 个字。") % {"limit": limit})
        if "\x00" in typed:
            raise CellError(_("内容含有不允许的字符。"))
        return typed

    return read


# --- the columns -----------------------------------------------------------------------------------------------


def _label(name: str):
    return DevolvedPower._meta.get_field(name).verbose_name


@dataclass(frozen=True)
class Column:
    field: str  # the service's argument (and the key of its ValidationError)
    label: object  # lazy: the header, in the active language when shown
    read: Callable = text
    required: bool = False


COLUMNS = (
    Column("position", _label("position"), position),
    Column("code", _label("code"), code, required=True),
    Column("name", gettext_lazy("权力名称"), _limited(200), required=True),
    Column("name_en", _label("name_en"), _limited(300)),
    Column("kind", _label("kind"), choice(PowerKind), required=True),
    Column("law", _label("law"), _limited(200), required=True),
    Column("article", _label("article"), _limited(100)),
    Column("basis", _label("basis"), _limited(4000)),
    Column("original_authority", _label("original_authority"), _limited(100), required=True),
    Column("decision_number", _label("decision_number"), _limited(100), required=True),
    Column("decision_title", _label("decision_title"), _limited(200)),
    Column("devolved_on", _label("devolved_on"), date, required=True),
    Column("department", _label("department"), _limited(150), required=True),
    Column("item_codes", gettext_lazy("实施事项编码"), item_codes),
    Column("status", _label("status"), choice(DevolvedPower.Status)),
    Column("withdrawn_on", _label("withdrawn_on"), date),
    Column("status_note", _label("status_note"), _limited(300)),
    Column("note", _label("note"), _limited(4000)),
)


def column(name: str) -> Column:
    return next(c for c in COLUMNS if c.field == name)


def column_of(header) -> Column | None:
    if header is None:
        return None
    typed = header_key(header)
    return next((c for c in COLUMNS if typed in in_every_language(c.label)), None)


def headers() -> list[str]:
    return [str(c.label) for c in COLUMNS]


# --- reading ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int | None  # the row's number in the sheet (1 is the header); None for the file as a whole
    column: str  # the column's header ("" for the row as a whole)
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self):
        if self.row is None:
            return self.message
        if self.column:
            return _("第 %(row)s 行“%(column)s”:%(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("第 %(row)s 行:%(message)s") % {"row": self.row, "message": self.message}


@dataclass
class Row:
    number: int
    values: dict
    ok: bool = True


@dataclass
class ReadSheet:
    rows: list = field(default_factory=list)  # [Row]
    errors: list = field(default_factory=list)  # [RowError]

    def fail(self, row: Row, name: str | None, message) -> None:
        row.ok = False
        label = str(column(name).label) if name else ""
        self.errors.append(RowError(row.number, label, str(message)))


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_upload(upload) -> None:
    """An .xlsx workbook of at most MAX_FILE_MB, by its content (a zip holding xl/workbook.xml)."""
    if getattr(upload, "size", 0) > MAX_FILE_MB * 1024 * 1024:
        raise SheetFileError(_("文件超过 %(max)s MB。") % {"max": MAX_FILE_MB})
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            is_workbook = "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        is_workbook = False
    finally:
        upload.seek(0)
    if not is_workbook:
        raise SheetFileError(_("请上传 Excel 工作簿(.xlsx);旧版 .xls 请先另存为 .xlsx。"))


def read_workbook(file) -> ReadSheet:
    """Every row of the first sheet that has the list's headers, each cell read by its column; raises
    SheetFileError for a file that is no power list."""
    check_upload(file)
    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, SyntaxError):
        raise SheetFileError(_("文件不是有效的 Excel 工作簿(.xlsx)。")) from None
    try:
        for worksheet in book.worksheets:
            lines = worksheet.iter_rows(values_only=True)
            positions = {}
            for index, header in enumerate(next(lines, None) or ()):
                found = column_of(header)
                if found is not None:
                    positions.setdefault(found.field, index)
            if "code" in positions and "name" in positions:
                return _read_rows(lines, positions)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, SyntaxError):
        raise SheetFileError(_("文件已损坏,无法读取。")) from None
    finally:
        book.close()
    raise SheetFileError(
        _("文件中没有下放权力清单:第一行应为列名,至少包含“%(code)s”和“%(name)s”(见导出的清单)。")
        % {"code": column("code").label, "name": column("name").label}
    )


def _read_rows(lines, positions: dict) -> ReadSheet:
    sheet = ReadSheet()
    missing = [c for c in COLUMNS if c.required and c.field not in positions]
    for missing_column in missing:
        sheet.errors.append(RowError(1, str(missing_column.label), _("缺少这一列。")))
    if missing:
        return sheet
    for number, cells in enumerate(lines, start=2):
        if all(_blank(cell) for cell in cells):
            continue
        if len(sheet.rows) >= MAX_ROWS:
            raise SheetFileError(_("文件超过 %(max)s 行。") % {"max": MAX_ROWS})
        row = Row(number, {})
        for one in COLUMNS:
            index = positions.get(one.field)
            raw = cells[index] if index is not None and index < len(cells) else None
            row.values[one.field] = None
            if _blank(raw):
                if one.required:
                    sheet.fail(row, one.field, _("请填写此项。"))
                continue
            try:
                row.values[one.field] = one.read(raw)
            except CellError as error:
                sheet.fail(row, one.field, error)
        sheet.rows.append(row)
    return sheet


# --- writing ---------------------------------------------------------------------------------------------------

CHUNK = 500


def rows(powers) -> Iterable[list]:
    """One row per power of `powers` (a queryset, in its order), in the columns of the import."""
    kinds = {value: str(label) for value, label in PowerKind.choices}
    statuses = {value: str(label) for value, label in DevolvedPower.Status.choices}
    links = Prefetch("item_links", queryset=PowerItem.objects.order_by("item_code"))
    for power in powers.select_related("department").prefetch_related(links).iterator(chunk_size=CHUNK):
        yield [
            power.position,
            power.code,
            power.name,
            power.name_en,
            kinds.get(power.kind, power.kind),
            power.law,
            power.article,
            power.basis,
            power.original_authority,
            power.decision_number,
            power.decision_title,
            power.devolved_on,
            power.department.name,
            "、".join(power.item_codes),
            statuses.get(power.status, power.status),
            power.withdrawn_on,
            power.status_note,
            power.note,
        ]


def list_response(powers, filename: str = "devolved-powers.xlsx"):
    """The list of `powers` as the spreadsheet the import reads, streamed from a temporary file."""
    sheet = (_("下放权力清单"), headers(), rows(powers))
    return xlsx_response(write_workbook([sheet]), filename)
