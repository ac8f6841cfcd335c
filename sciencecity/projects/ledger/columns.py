"""The sheets and columns of the ledger's import workbook, shared by the template and the import.

Each header is the label of the model field it fills (`项目代码`, `年度计划投资(万元)` …), so the ledger speaks as
the pages do; a header or sheet name is recognised in any of the site's languages, whatever the language of
the template it came from. Each column says how a cell is read: a reader returns the value or raises
`CellError` with the reason, in words a person can act on.
"""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from sciencecity.enterprises.models import Enterprise
from sciencecity.enterprises.validators import normalize_credit_code
from sciencecity.workflow.spreadsheets import CellError, header_key, in_every_language, text

from ..models import InvestmentPlan, MonthlyReport, Project, YearCategory

# numeric(14, 2): anything from 10^12 on does not fit the database's columns.
AMOUNT_LIMIT = Decimal(10) ** 12


# --- readers ---------------------------------------------------------------------------------------------------


def credit_code(value) -> str:
    return normalize_credit_code(text(value))


def _number(value) -> Decimal:
    if isinstance(value, bool):
        raise CellError(_("应为数字。"))
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise CellError(_("“%(value)s”不是数字。") % {"value": value}) from None
    if not number.is_finite():
        raise CellError(_("“%(value)s”不是数字。") % {"value": value})
    return number


def amount(value) -> Decimal:
    number = _number(value)
    if number < 0:
        raise CellError(_("不能为负数。"))
    if number >= AMOUNT_LIMIT:
        raise CellError(_("数值过大。"))
    return number.quantize(Decimal("0.01"))


def integer(value) -> int:
    number = _number(value)
    if number != number.to_integral_value():
        raise CellError(_("应为整数。"))
    if number < 0:
        raise CellError(_("不能为负数。"))
    return int(number)


_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*月)?(?:\s*[-/.]\s*\d{1,2}\s*日?)?$")


def month(value) -> datetime.date:
    """A month as YYYY-MM (or a date cell, or 2026年5月): its first day."""
    if isinstance(value, datetime.datetime | datetime.date):
        return datetime.date(value.year, value.month, 1)
    found = _MONTH.match(text(value))
    if found is not None and 1 <= int(found[2]) <= 12:
        return datetime.date(int(found[1]), int(found[2]), 1)
    raise CellError(_("“%(value)s”不是有效的月份,应为 YYYY-MM 格式,如 2026-05。") % {"value": value})


def choice(choices) -> Callable:
    """A reader of a model's choices: the stored code, or its label in any language."""

    known: dict[str, str] = {}  # typed key → code, made at the first cell (translations are loaded by then)

    def read(value):
        if not known:
            for code, label in choices.choices:
                known.update(dict.fromkeys({header_key(code), *in_every_language(label)}, code))
        code = known.get(header_key(text(value)))
        if code is not None:
            return code
        raise CellError(
            _("“%(value)s”不是有效的选项,可选:%(choices)s。")
            % {"value": value, "choices": "、".join(str(label) for label in choices.labels)}
        )

    return read


_YES = {"是", "yes", "y", "true", "1", "√"}
_NO = {"否", "no", "n", "false", "0", "×"}


def yes_no(value) -> bool:
    if isinstance(value, bool):
        return value
    typed = header_key(text(value))
    if typed in _YES:
        return True
    if typed in _NO:
        return False
    raise CellError(_("请填写“是”或“否”。"))


# --- sheets ----------------------------------------------------------------------------------------------------


def _label(model, field: str):
    return model._meta.get_field(field).verbose_name


@dataclass(frozen=True)
class Column:
    field: str  # the service's argument (and the key of its ValidationError)
    label: object  # lazy: the header, in the active language when shown
    read: Callable = text
    required: bool = False  # on every row (a new project's own required columns: `NEW_PROJECT_REQUIRES`)


@dataclass(frozen=True)
class Sheet:
    key: str
    title: object
    columns: tuple[Column, ...]

    def column(self, field: str) -> Column | None:
        return next((column for column in self.columns if column.field == field), None)

    def column_of(self, header) -> Column | None:
        if header is None:
            return None
        typed = header_key(header)
        return next((c for c in self.columns if typed in in_every_language(c.label)), None)

    @property
    def headers(self) -> list[str]:
        return [str(column.label) for column in self.columns]


CODE = Column("code", _label(Project, "code"), text, required=True)

PROJECTS = Sheet(
    "projects",
    Project._meta.verbose_name,
    (
        CODE,
        Column("name", _label(Project, "name")),
        Column("enterprise", _label(Enterprise, "credit_code"), credit_code),
        Column("investment_type", _label(Project, "investment_type"), choice(Project.InvestmentType)),
        Column("total_investment", _label(Project, "total_investment"), amount),
        Column("land_area", _label(Project, "land_area"), amount),
        Column("floor_area", _label(Project, "floor_area"), amount),
        Column("location", _label(Project, "location")),
        Column("phase", _label(Project, "phase"), choice(Project.Phase)),
        Column("is_key", _label(Project, "is_key"), yes_no),
        Column("task_force", _label(Project, "task_force")),
        Column("prior_investment", _label(Project, "prior_investment"), amount),
    ),
)
# A project the registry does not have yet is registered: these cells must be filled (an existing project's
# blank cells leave its values as they are).
NEW_PROJECT_REQUIRES = ("name", "enterprise", "total_investment", "location")

PLANS = Sheet(
    "plans",
    InvestmentPlan._meta.verbose_name,
    (
        CODE,
        Column("year", _label(InvestmentPlan, "year"), integer, required=True),
        Column("category", _label(InvestmentPlan, "category"), choice(YearCategory), required=True),
        Column("planned", _label(InvestmentPlan, "planned"), amount, required=True),
        Column("goal", _label(InvestmentPlan, "goal")),
    ),
)

REPORTS = Sheet(
    "reports",
    MonthlyReport._meta.verbose_name,
    (
        CODE,
        Column("month", _label(MonthlyReport, "month"), month, required=True),
        Column("investment", _label(MonthlyReport, "investment"), amount, required=True),
        Column("progress_percent", _label(MonthlyReport, "progress_percent"), integer, required=True),
        Column("progress_text", _label(MonthlyReport, "progress_text"), required=True),
        Column("workforce", _label(MonthlyReport, "workforce"), integer),
    ),
)

SHEETS = (PROJECTS, PLANS, REPORTS)


def sheet_named(name: str) -> Sheet | None:
    typed = header_key(name)
    return next((sheet for sheet in SHEETS if typed in in_every_language(sheet.title)), None)
