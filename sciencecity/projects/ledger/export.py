"""The project ledger (项目台账) as an Excel workbook, and the empty workbook to fill in for an import.

The workbook is written row by row (`workflow.spreadsheets`: nothing held in memory, text kept as text). The
projects are read in chunks (`QuerySet.iterator`), each chunk with its enterprise, its plan of the
year and its escort lead in one query apiece: memory stays flat and the number of queries grows with the
chunks, not the rows, however long the ledger.
"""

from collections.abc import Iterable

from django.db.models import Prefetch
from django.http import FileResponse
from django.utils.translation import gettext as _

from sciencecity.enterprises.models import Enterprise
from sciencecity.workdays import clock
from sciencecity.workflow.spreadsheets import XLSX, write_workbook, xlsx_response  # noqa: F401 - XLSX: the package names it

from ..models import EscortMember, InvestmentPlan, Level, Project, YearCategory
from ..services import warnings
from .columns import SHEETS

CHUNK = 2000


def _label(model, field: str) -> str:
    return str(model._meta.get_field(field).verbose_name)


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


def ledger_headers() -> list[str]:
    return [
        _label(Project, "code"),
        _label(Project, "name"),
        _label(Project, "enterprise"),
        _label(Enterprise, "credit_code"),
        _label(Project, "phase"),
        _label(Project, "total_investment"),
        _label(InvestmentPlan, "year"),
        _label(InvestmentPlan, "category"),
        _label(InvestmentPlan, "planned"),
        _label(InvestmentPlan, "completed"),
        _label(InvestmentPlan, "goal"),
        _label(Project, "investment_to_date"),
        _label(Project, "warning_level"),
        _label(Project, "warning_reasons"),
        _label(Project, "task_force"),
        str(EscortMember.Role.LEAD.label),
    ]


def ledger_rows(projects, year: int) -> Iterable[list]:
    """One row per project of `projects` (a queryset, in its order), with its plan of `year`."""
    shown = ["code", "name", "phase", "total_investment", "investment_to_date", "warning_level"]
    shown += ["warning_reasons", "task_force", "enterprise__name", "enterprise__credit_code"]
    projects = projects.select_related("enterprise").only(*shown)
    projects = projects.prefetch_related(
        Prefetch("plans", queryset=InvestmentPlan.objects.filter(year=year), to_attr="plans_of_year"),
        Prefetch(
            "escort_members",
            queryset=EscortMember.objects.filter(role=EscortMember.Role.LEAD).select_related("user"),
            to_attr="leads",
        ),
    )
    # Each choice's label once (a model's get_…_display() translates it again for every row).
    phases, categories, levels = _labels(Project.Phase), _labels(YearCategory), _labels(Level)
    for project in projects.iterator(chunk_size=CHUNK):
        plan = project.plans_of_year[0] if project.plans_of_year else None
        lead = project.leads[0].user if project.leads else None
        yield [
            project.code,
            project.name,
            project.enterprise.name,
            project.enterprise.credit_code,
            phases.get(project.phase, project.phase),
            project.total_investment,
            year,
            categories.get(plan.category, plan.category) if plan else "",
            plan.planned if plan else None,
            plan.completed if plan else None,
            plan.goal if plan else "",
            project.investment_to_date,
            levels.get(project.warning_level, project.warning_level),
            ";".join(reason["text"] for reason in warnings.reasons_of(project)),
            project.task_force,
            str(lead) if lead else "",
        ]


def export_response(projects) -> FileResponse:
    """The ledger of `projects` (already scoped and filtered by the caller) as a download."""
    year = clock.today().year
    sheet = (_("项目台账"), ledger_headers(), ledger_rows(projects, year))
    return xlsx_response(write_workbook([sheet]), f"project-ledger-{clock.today():%Y%m%d}.xlsx")


def template_workbook():
    """The import's workbook with its sheets and headers and no rows."""
    return write_workbook((str(sheet.title), sheet.headers, ()) for sheet in SHEETS)


def template_response() -> FileResponse:
    return xlsx_response(template_workbook(), "project-ledger-template.xlsx")
