"""The project ledger (项目台账) in Excel: any filtered list of projects exported as a workbook
(`export`), and a workbook of projects, annual plans and monthly figures imported all or nothing, with every
wrong row named (`importer`). The sheets and columns they share are in `columns`."""

from .export import XLSX, export_response, template_response, template_workbook
from .importer import (
    LedgerFileError,
    Outcome,
    Progress,
    RowError,
    check_file,
    import_ledger,
    may_import,
    run_import,
    run_ledger_import,
    upload_ledger,
)

__all__ = [
    "XLSX",
    "LedgerFileError",
    "Outcome",
    "Progress",
    "RowError",
    "check_file",
    "export_response",
    "import_ledger",
    "may_import",
    "run_import",
    "run_ledger_import",
    "template_response",
    "template_workbook",
    "upload_ledger",
]
