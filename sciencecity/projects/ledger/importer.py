"""Importing the project ledger (项目台账) from Excel: projects, their annual plans and their monthly figures,
all or nothing, with every wrong row named.

How an import goes:

1. `upload_ledger` (the page, the API, the command) checks that the file is an .xlsx workbook, stores it as a
   `LedgerImport` and enqueues `run_ledger_import` once the upload commits.
2. Checking (校验中): every row of the sheets 项目, 年度投资计划 and 项目月报 is read (openpyxl's read-only mode)
   and checked on its own — a missing value, a bad number, month or choice — and against the others and the
   registry: a duplicate row, an unknown project code or enterprise credit code, a new project's code format
   and required cells.
3. Writing (导入中): in one transaction, each row goes through its service function (`registry`, `schedule`,
   `reports`), which applies the rules it always applies (a plan not above the project's total, a phase that
   only moves forward, a month not in the future …), locks and records the audit trail. A row it refuses is an
   error like any other. Rows of a file with errors are still written, in that transaction, so that one pass
   names every error.
4. If any row is wrong, the transaction is rolled back: nothing is written, and every error is kept as
   (sheet, row, column, message). Otherwise it commits with the import's counts and its own audit event.

Who acts: the uploader, for projects and plans (the services check their right again); monthly figures are
the platform's (`reports.submit_report` takes reports from the project's unit, or from the platform for
ledger imports). Every audit event of one import carries the request id `ledger-import-<id>`.
"""

import datetime
import logging
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_tasks import task
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from sciencecity.accounts.scoping import is_civil_servant
from sciencecity.audit import record
from sciencecity.audit.context import RequestContext, current_request
from sciencecity.audit.services import snapshot
from sciencecity.enterprises.models import Enterprise
from sciencecity.workflow.errors import field_error
from sciencecity.workflow.queue import enqueue_with_commit

from ..models import InvestmentPlan, LedgerImport, MonthlyReport, Project, validate_project_code
from ..services import registry, reports, schedule, warnings
from .columns import (
    CODE,
    NEW_PROJECT_REQUIRES,
    PLANS,
    PROJECTS,
    REPORTS,
    SHEETS,
    CellError,
    Sheet,
    sheet_named,
)

logger = logging.getLogger(__name__)
Status = LedgerImport.Status

CHANGE = "projects.change_project"
MAX_FILE_MB = 20
MAX_ROWS = 100_000  # rows of one file, all sheets together
PROGRESS_EVERY = 100  # rows between two writes of the progress
LOOKUP_CHUNK = 1000  # codes per query when looking up the registry


def may_import(user) -> bool:
    """Civil servants who may change projects (service specialists, administrators)."""
    return is_civil_servant(user) and user.has_perm(CHANGE)


# --- errors -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    sheet: str  # the sheet's title as shown ("" for the file as a whole)
    row: int | None  # the row's number in Excel (1 is the header)
    column: str  # the column's header ("" for the row as a whole)
    message: str

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


class LedgerFileError(Exception):
    """The file cannot be read as a ledger at all (not a workbook, no sheet of the ledger, too many rows)."""


# --- progress -----------------------------------------------------------------------------------------------------


class Progress:
    """How far an import is: `start` at each step (checking, writing) with its number of rows, `advance` after
    each row. This one tells nobody; `StoredProgress` writes it on the import, the command draws a bar."""

    def start(self, status: str, total: int) -> None:
        pass

    def advance(self) -> None:
        pass

    def close(self) -> None:
        pass


class StoredProgress(Progress):
    """Writes the progress on the import's row every `PROGRESS_EVERY` rows, for its page, and passes every step
    on to `also` (the command's bar).

    The rows are written in one transaction, whose writes nobody else sees before it commits — the progress
    included, were it written in it. So from the writing on, the progress goes through a second connection to
    the database, outside that transaction, where the database lets two connections write at once
    (PostgreSQL, as in production). SQLite takes one writer at a time: there the page sees the checking's
    progress row by row and the writing's when it ends."""

    def __init__(self, ledger_import: LedgerImport, also: Progress | None = None):
        self.ledger_import, self.also = ledger_import, also or Progress()
        self.done, self.beside = 0, None

    def start(self, status, total):
        self.also.start(status, total)
        self.done = 0
        self._write(status=status, total_rows=total, processed_rows=0)
        if status == Status.IMPORTING and self.beside is None:
            self.beside = _connection_beside()

    def advance(self):
        self.also.advance()
        self.done += 1
        if self.done % PROGRESS_EVERY == 0:
            self._write(processed_rows=self.done)

    def close(self):
        """Stop writing beside the transaction (before the import's own row is written in it)."""
        if self.beside is not None:
            self.beside.close()
            self.beside = None

    def _write(self, **values):
        for name, value in values.items():
            setattr(self.ledger_import, name, value)
        if self.beside is None:
            LedgerImport.objects.filter(pk=self.ledger_import.pk).update(**values)
            return
        quote = self.beside.ops.quote_name
        assignments = ", ".join(f"{quote(name)} = %s" for name in values)
        with self.beside.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(LedgerImport._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s",
                [*values.values(), self.ledger_import.pk],
            )


def _connection_beside():
    """A second connection to the database (PostgreSQL only; see `StoredProgress`), in autocommit mode."""
    if connection.vendor != "postgresql":
        return None
    return connections.create_connection(DEFAULT_DB_ALIAS)


# --- checking -----------------------------------------------------------------------------------------------------


@dataclass
class Row:
    sheet: Sheet
    number: int
    values: dict
    ok: bool = True
    wrong: set = field(default_factory=set)  # the fields of its cells that are wrong


@dataclass
class Checked:
    rows: dict = field(default_factory=dict)  # sheet key → [Row]
    errors: list = field(default_factory=list)  # [RowError]
    projects: dict = field(default_factory=dict)  # code → Project, of the registry
    enterprises: dict = field(default_factory=dict)  # credit code → Enterprise

    def fail(self, row: Row, column, message) -> None:
        row.ok = False
        row.wrong.add(column.field if column is not None else "")
        label = str(column.label) if column is not None else ""
        self.errors.append(RowError(str(row.sheet.title), row.number, label, str(message)))

    @property
    def count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_ledger(file, user, progress: Progress) -> Checked:
    """Read and check every row of the ledger in `file`; raises LedgerFileError for a file that is no ledger."""
    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, SyntaxError):
        raise LedgerFileError(_("文件不是有效的 Excel 工作簿(.xlsx)。")) from None
    checked = Checked()
    try:
        found = [(sheet, book[name]) for name in book.sheetnames if (sheet := sheet_named(name)) is not None]
        if not found:
            raise LedgerFileError(
                _("文件中没有项目台账的工作表:请使用“%(sheets)s”工作表(见导入模板)。")
                % {"sheets": "”“".join(str(sheet.title) for sheet in SHEETS)}
            )
        progress.start(Status.VALIDATING, sum(max((sheet.max_row or 1) - 1, 0) for _s, sheet in found))
        for sheet, worksheet in found:
            checked.rows[sheet.key] = _read_sheet(sheet, worksheet, checked, progress)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, SyntaxError):
        # openpyxl's errors on a damaged part of the archive (each cell's own errors are caught per cell)
        raise LedgerFileError(_("文件已损坏,无法读取。")) from None
    finally:
        book.close()
    _check_across(checked, user)
    return checked


def _read_sheet(sheet: Sheet, worksheet, checked: Checked, progress: Progress) -> list[Row]:
    lines = worksheet.iter_rows(values_only=True)
    positions = {}
    for index, header in enumerate(next(lines, None) or ()):
        column = sheet.column_of(header)
        if column is not None:
            positions.setdefault(column.field, index)
    missing = [column for column in sheet.columns if column.required and column.field not in positions]
    for column in missing:
        checked.errors.append(RowError(str(sheet.title), 1, str(column.label), _("缺少这一列。")))
    if missing:
        return []
    rows = []
    for number, cells in enumerate(lines, start=2):
        if all(_blank(cell) for cell in cells):
            continue
        if checked.count + len(rows) >= MAX_ROWS:
            raise LedgerFileError(_("文件超过 %(max)s 行,请分成几个文件导入。") % {"max": MAX_ROWS})
        row = Row(sheet, number, {})
        for column in sheet.columns:
            index = positions.get(column.field)
            raw = cells[index] if index is not None and index < len(cells) else None
            row.values[column.field] = None
            if _blank(raw):
                if column.required:
                    checked.fail(row, column, _("请填写此项。"))
                continue
            try:
                row.values[column.field] = column.read(raw)
            except CellError as error:
                checked.fail(row, column, error)
        rows.append(row)
        progress.advance()
    return rows


def _in_chunks(values):
    values = sorted(values)
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start : start + LOOKUP_CHUNK]


def _check_across(checked: Checked, user) -> None:
    """Duplicate rows, and what the rows name: projects of the registry (or of the sheet 项目), enterprises."""
    keys = {PROJECTS.key: ("code",), PLANS.key: ("code", "year"), REPORTS.key: ("code", "month")}
    for sheet in SHEETS:
        seen = {}
        for row in checked.rows.get(sheet.key, ()):
            key = tuple(row.values[name] for name in keys[sheet.key])
            if None in key:
                continue
            if key in seen:
                column = sheet.column(keys[sheet.key][-1])
                checked.fail(row, column, _("与第 %(row)s 行重复。") % {"row": seen[key]})
            else:
                seen[key] = row.number
    every_row = [row for rows in checked.rows.values() for row in rows]
    codes = {row.values["code"] for row in every_row if row.values["code"]}
    for chunk in _in_chunks(codes):
        for project in Project.objects.for_user(user).filter(code__in=chunk):
            checked.projects[project.code] = project
    credit_codes = {
        row.values["enterprise"] for row in checked.rows.get(PROJECTS.key, ()) if row.values["enterprise"]
    }
    for chunk in _in_chunks(credit_codes):
        for enterprise in Enterprise.objects.for_user(user).filter(credit_code__in=chunk):
            checked.enterprises[enterprise.credit_code] = enterprise

    in_sheet = set()
    for row in checked.rows.get(PROJECTS.key, ()):
        code, credit = row.values["code"], row.values["enterprise"]
        if code:
            in_sheet.add(code)
        if credit and credit not in checked.enterprises:
            checked.fail(
                row,
                PROJECTS.column("enterprise"),
                _("没有统一社会信用代码为 %(code)s 的企业。") % {"code": credit},
            )
        if not code or code in checked.projects:
            continue
        try:
            validate_project_code(code)
        except ValidationError as error:
            checked.fail(row, CODE, error.messages[0])
        for name in NEW_PROJECT_REQUIRES:
            if row.values[name] is None and name not in row.wrong:
                checked.fail(row, PROJECTS.column(name), _("登记新项目须填写此项。"))
    for sheet in (PLANS, REPORTS):
        for row in checked.rows.get(sheet.key, ()):
            code = row.values["code"]
            if code and code not in checked.projects and code not in in_sheet:
                checked.fail(row, CODE, _("没有项目代码为 %(code)s 的项目。") % {"code": code})


# --- writing ------------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    errors: list  # [RowError], in sheet and row order
    rows: int = 0
    created: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


class _Writer:
    """Writes the rows through the services inside the import's transaction, counting what changed."""

    def __init__(self, user, checked: Checked, progress: Progress):
        self.user, self.checked, self.progress = user, checked, progress
        self.projects = dict(checked.projects)  # code → Project, with those this import registers
        self.touched = set()  # pks of the projects written
        self.created = self.updated = 0

    def write(self) -> None:
        rows = self.checked.rows
        reports_in_order = sorted(rows.get(REPORTS.key, ()), key=_report_order)
        for row in [*rows.get(PROJECTS.key, ()), *rows.get(PLANS.key, ()), *reports_in_order]:
            if row.ok:
                self._row(row)
            self.progress.advance()
        if self.touched and not self.checked.errors:
            warnings.refresh(sorted(self.touched))

    def _row(self, row: Row) -> None:
        write = {PROJECTS.key: self._project, PLANS.key: self._plan, REPORTS.key: self._report}[row.sheet.key]
        project = self.projects.get(row.values["code"])
        if project is None and row.sheet is not PROJECTS:
            return  # its project's own row is wrong and says so
        try:
            with transaction.atomic():
                changed = write(row, project)
        except ValidationError as error:
            messages = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
            for name, texts in messages.items():
                for message in texts:
                    self.checked.fail(row, row.sheet.column(name), message)
            return
        except PermissionDenied as error:
            self.checked.fail(row, None, str(error) or _("您没有执行该操作的权限。"))
            return
        if changed is not None:
            self.created += changed == "created"
            self.updated += changed == "updated"

    def _project(self, row: Row, project: Project | None):
        fields = {name: value for name, value in row.values.items() if name != "code" and value is not None}
        if "enterprise" in fields:
            fields["enterprise"] = self.checked.enterprises[fields["enterprise"]]
        if project is None:
            project = registry.register_project(self.user, code=row.values["code"], **fields)
            changed = "created"
        else:
            before = snapshot(project)
            phase = fields.pop("phase", None)
            project = registry.update_project(self.user, project, **fields)
            if phase is not None and phase != project.phase:
                project = registry.change_project_phase(self.user, project, phase)
            changed = "updated" if snapshot(project) != before else None
        self.projects[project.code] = project
        self.touched.add(project.pk)
        return changed

    def _plan(self, row: Row, project: Project):
        values = row.values
        shown = ("category", "planned", "goal")
        before = InvestmentPlan.objects.filter(project=project, year=values["year"]).values(*shown).first()
        plan = schedule.set_plan(
            self.user, project, values["year"], values["category"], values["planned"], values["goal"] or ""
        )
        self.touched.add(project.pk)
        return _change(before, {name: getattr(plan, name) for name in shown})

    def _report(self, row: Row, project: Project):
        values = row.values
        shown = ("investment", "progress_percent", "progress_text", "workforce")
        before = MonthlyReport.objects.filter(project=project, month=values["month"]).values(*shown).first()
        report = reports.submit_report(
            None,
            project,
            values["month"],
            investment=values["investment"],
            progress_percent=values["progress_percent"],
            progress_text=values["progress_text"],
            workforce=values["workforce"] or 0,
        )
        self.touched.add(project.pk)
        return _change(before, {name: getattr(report, name) for name in shown})


def _report_order(row: Row):
    """Month by month per project: a month's progress may not fall below the month before's."""
    return row.values["code"] or "", row.values["month"] or datetime.date.min


def _change(before: dict | None, after: dict) -> str | None:
    if before is None:
        return "created"
    return "updated" if before != after else None


def import_ledger(
    file, user, *, progress: Progress | None = None, dry_run: bool = False, ledger_import=None
) -> Outcome:
    """Check the ledger in `file` and write it as `user`, all or nothing (see the module docstring). A dry run
    writes nothing even when every row is right. With `ledger_import`, its outcome is written on it in the
    same transaction as the rows, so an import is done exactly when its rows are."""
    progress = progress or Progress()
    try:
        checked = check_ledger(file, user, progress)
    except LedgerFileError as error:
        return Outcome([RowError("", None, "", str(error))])
    if any(error.row in (None, 1) for error in checked.errors):
        return _sorted(Outcome(checked.errors, checked.count))  # a sheet without its columns: rows not read
    progress.start(Status.IMPORTING, checked.count)
    with transaction.atomic():
        writer = _Writer(user, checked, progress)
        writer.write()  # adds the services' refusals to the errors
        outcome = Outcome(checked.errors, checked.count, writer.created, writer.updated)
        if checked.errors or dry_run:
            transaction.set_rollback(True)
        elif ledger_import is not None:
            progress.close()
            finish(ledger_import, Status.DONE, outcome)
            record(
                user,
                "projects.import_ledger",
                ledger_import,
                after={"rows": outcome.rows, "created": outcome.created, "updated": outcome.updated},
            )
    return _sorted(outcome)


def _sorted(outcome: Outcome) -> Outcome:
    order = {str(sheet.title): index for index, sheet in enumerate(SHEETS)}
    outcome.errors.sort(key=lambda e: (order.get(e.sheet, -1), e.row or 0))
    return outcome


def finish(ledger_import: LedgerImport, status: str, outcome: Outcome) -> None:
    values = {
        "status": status,
        "total_rows": outcome.rows,
        "processed_rows": outcome.rows,
        "created": outcome.created if status == Status.DONE else 0,
        "updated": outcome.updated if status == Status.DONE else 0,
        "errors": [error.as_dict() for error in outcome.errors],
        "finished_at": timezone.now(),
    }
    LedgerImport.objects.filter(pk=ledger_import.pk).update(**values)
    for name, value in values.items():
        setattr(ledger_import, name, value)


# --- the upload and the background task ---------------------------------------------------------------------


def check_file(upload) -> None:
    """An .xlsx workbook (a zip holding xl/workbook.xml) of at most MAX_FILE_MB, by its content, not its name."""
    if upload.size > MAX_FILE_MB * 1024 * 1024:
        raise field_error(
            "file", _("文件超过 %(max)s MB,请分成几个文件导入。") % {"max": MAX_FILE_MB}, "file_too_large"
        )
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            is_workbook = "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        is_workbook = False
    finally:
        upload.seek(0)
    if not is_workbook:
        raise field_error(
            "file", _("请上传 Excel 工作簿(.xlsx);旧版 .xls 请先另存为 .xlsx。"), "unsupported_file_type"
        )


@transaction.atomic
def upload_ledger(user, upload, *, enqueue: bool = True) -> LedgerImport:
    """Store an uploaded ledger and (with `enqueue`) import it in the background once the upload commits."""
    if not may_import(user):
        raise PermissionDenied(_("只有有权修改项目的机关工作人员可以导入项目台账。"))
    check_file(upload)
    name = (getattr(upload, "name", "") or "ledger.xlsx").replace("\\", "/").rsplit("/", 1)[-1]
    ledger_import = LedgerImport(uploaded_by=user, original_name=name[:255], language=get_language() or "")
    ledger_import.file.save(name if name.lower().endswith(".xlsx") else f"{name}.xlsx", upload, save=False)
    ledger_import.save()
    record(user, "projects.upload_ledger", ledger_import, after={"file": ledger_import.original_name})
    if enqueue:
        enqueue_with_commit(run_ledger_import, ledger_import.pk)
    return ledger_import


def run_import(ledger_import: LedgerImport, progress: Progress | None = None) -> LedgerImport:
    """Import an uploaded ledger now, writing its progress and outcome on it. Run again after a worker died
    half-way, it starts over: nothing of an unfinished import was committed."""
    stored = StoredProgress(ledger_import, also=progress)
    request = current_request.set(RequestContext(request_id=f"ledger-import-{ledger_import.pk}"))
    try:
        with (
            translation.override(ledger_import.language or settings.LANGUAGE_CODE),
            ledger_import.file.open("rb") as file,
        ):
            outcome = import_ledger(
                file, ledger_import.uploaded_by, progress=stored, ledger_import=ledger_import
            )
        if not outcome.ok:
            finish(ledger_import, Status.FAILED, outcome)
    except Exception:
        with translation.override(ledger_import.language or settings.LANGUAGE_CODE):
            message = _("导入时发生意外错误,没有写入任何数据。请联系管理员。")
        finish(ledger_import, Status.FAILED, Outcome([RowError("", None, "", message)]))
        logger.exception("ledger import %s failed", ledger_import.pk)
        raise
    finally:
        stored.close()
        current_request.reset(request)
    return ledger_import


@task()
def run_ledger_import(import_id: int) -> dict:
    """The background import of `upload_ledger`; a finished import (done or failed) is not run again."""
    ledger_import = LedgerImport.objects.select_related("uploaded_by").filter(pk=import_id).first()
    if ledger_import is None or ledger_import.is_finished:
        return {}
    run_import(ledger_import)
    return {
        "status": ledger_import.status,
        "created": ledger_import.created,
        "updated": ledger_import.updated,
    }
