"""The pages of the project ledger (项目台账) in Excel: the key projects' list exported with its filters, the
import template, the upload of a ledger and each import's page, whose progress refreshes itself (htmx) until the
import is done and then shows its counts or every wrong row.

Exporting is for civil servants, as the key projects' list is; importing for those of them who may change
projects (`ledger.may_import`). An import is seen by its uploader and administrators (`LedgerImport.for_user`).
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from sciencecity.accounts.scoping import is_civil_servant
from sciencecity.workflow.errors import attach_errors, fetch_in_scope
from sciencecity.workflow.paging import rows_or_page

from . import ledger, selectors
from .forms import KeyProjectFilter
from .models import LedgerImport

RECENT = 20  # imports listed on the upload page


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("台账文件(.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )


def _civil_servant(user) -> None:
    if not is_civil_servant(user):
        raise PermissionDenied(_("重点项目清单供机关工作人员使用。"))


def _importer(user) -> None:
    if not ledger.may_import(user):
        raise PermissionDenied(_("只有有权修改项目的机关工作人员可以导入项目台账。"))


def filtered_key_projects(user, params):
    """The key projects of the list page (`views.key_projects`) with its filters from `params`: name or code,
    warning colour, task force, only those the reader escorts; in the list's order."""
    form = KeyProjectFilter(params or None, task_forces=selectors.task_forces())
    filters = form.cleaned_data if form.is_valid() else {}
    projects = selectors.listed_key_projects(user, filters)
    if filters.get("level"):
        return projects.filter(warning_level=filters["level"]).order_by("-created_at", "-id")
    return projects.order_by("warning_order", "-created_at", "-id")  # reddest first, as the list


@require_safe
@login_required
def export(request):
    """The key projects' list, as filtered on its page, as an Excel workbook."""
    _civil_servant(request.user)
    return ledger.export_response(filtered_key_projects(request.user, request.GET))


@require_safe
@login_required
def template(request):
    _civil_servant(request.user)
    return ledger.template_response()


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def imports(request):
    """Upload a ledger (imported in the background), and the reader's recent imports."""
    user = request.user
    _importer(user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            ledger_import = ledger.upload_ledger(user, form.cleaned_data["file"])
        except ValidationError as error:
            attach_errors(form, error)
        else:
            return redirect("ledger:import", ledger_import.pk)
    recent = LedgerImport.objects.for_user(user).select_related("uploaded_by")[:RECENT]
    return render(request, "projects/ledger/imports.html", {"form": form, "imports": recent})


@require_safe
@login_required
def import_page(request, pk):
    """One import: its progress while it runs (the region refreshes itself), then its counts or its errors."""
    ledger_import = fetch_in_scope(
        LedgerImport.objects.for_user(request.user).select_related("uploaded_by"), pk
    )
    context = {"ledger_import": ledger_import}
    return rows_or_page(request, "projects/ledger/_progress.html", "projects/ledger/import.html", context)


urlpatterns = [
    path("", imports, name="imports"),
    path("export/", export, name="export"),
    path("template/", template, name="template"),
    path("<int:pk>/", import_page, name="import"),
]
