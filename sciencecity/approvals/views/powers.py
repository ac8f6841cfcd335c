"""The devolved municipal powers' pages (下放市级行政权力): the list with its filters and downloads, one power
with its basis, the items implementing it and how it was used, and the summary of the whole list.

The list and a power's page are public (a power list is published); the usage figures, the "in use" filter,
the period and the summary are for civil servants (`power_usage.sees_usage`). The figures come from
`approvals.power_usage`: a fixed number of queries for the whole list, whatever the number of powers and
tasks.
"""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_safe

from sciencecity.catalog.powers import selectors
from sciencecity.catalog.powers.models import DevolvedPower, PowerKind
from sciencecity.workflow.errors import fetch_in_scope
from sciencecity.workflow.paging import page_of, rows_or_page

from .. import power_exports
from ..forms.powers import IN_USE, NOT_IN_USE, PeriodForm, PowerFilterForm
from ..power_usage import Usage, item_usage, merged, sees_usage, summary
from .public import version_in_force

PAGE_SIZE = 50
EXPORTS = ("csv", "xlsx")


def _query(request, **changes) -> str:
    query = request.GET.copy()
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return query.urlencode()


@require_safe
def power_list(request):
    user = request.user
    figures = sees_usage(user)
    form = PowerFilterForm(request.GET or None, figures=figures)
    filters = form.cleaned_data if form.is_valid() else {}
    powers = selectors.with_links(
        selectors.search(
            DevolvedPower.objects.for_user(user),
            q=filters.get("q", ""),
            kind=filters.get("kind", ""),
            department=filters.get("department", ""),
            status=filters.get("status", ""),
        )
    ).order_by("position", "code")
    rows = list(powers)
    period = form.period() if figures else None
    usage = None
    if figures:
        by_item = item_usage({code for power in rows for code in power.item_codes}, period)
        usage = {power.pk: merged(power.item_codes, by_item) for power in rows}
        if filters.get("use") in (IN_USE, NOT_IN_USE):
            wanted = filters["use"] == IN_USE
            rows = [power for power in rows if usage[power.pk].in_use == wanted]
    export = request.GET.get("format")
    if export in EXPORTS:
        respond = power_exports.csv_response if export == "csv" else power_exports.xlsx_download
        return respond(rows, usage, period)
    page = page_of(request, rows, PAGE_SIZE)
    shown = page.pop("rows")
    for power in shown:
        power.usage = usage[power.pk] if usage is not None else None
    return rows_or_page(
        request,
        "powers/_results.html",
        "powers/list.html",
        {
            "form": form,
            "powers": shown,
            "count": len(rows),
            "figures": figures,
            "period": period,
            "csv_url": f"{request.path}?{_query(request, format='csv', page=None)}",
            "xlsx_url": f"{request.path}?{_query(request, format='xlsx', page=None)}",
            **page,
        },
    )


@require_safe
def power_detail(request, pk):
    user = request.user
    power = fetch_in_scope(selectors.with_links(DevolvedPower.objects.for_user(user)), pk)
    codes = power.item_codes
    version = version_in_force()
    items = selectors.items_in_version(codes, version)
    figures = sees_usage(user)
    form = PeriodForm(request.GET or None) if figures else None
    period = form.period() if figures else None
    by_item = item_usage(codes, period) if figures else {}
    rows = [
        {"code": code, "item": items.get(code), "usage": by_item.get(code, Usage()) if figures else None}
        for code in codes
    ]
    return render(
        request,
        "powers/detail.html",
        {
            "power": power,
            "rows": rows,
            "version": version,
            "figures": figures,
            "form": form,
            "period": period,
            "usage": merged(codes, by_item) if figures else None,
        },
    )


@require_safe
@login_required
def power_summary(request):
    user = request.user
    if not sees_usage(user):
        raise PermissionDenied
    form = PeriodForm(request.GET or None)
    period = form.period()
    powers = selectors.with_links(DevolvedPower.objects.for_user(user)).order_by("position", "code")
    result = summary(powers, period, dict(PowerKind.choices))
    window = {"since": period.since.isoformat(), "until": period.until.isoformat()}

    def list_url(**filters) -> str:
        return "?" + urlencode({**filters, **window, "status": DevolvedPower.Status.IN_FORCE})

    for row in result.departments:
        row.in_use_url = list_url(department=row.key, use=IN_USE)
        row.idle_url = list_url(department=row.key, use=NOT_IN_USE)
    for row in result.kinds:
        row.in_use_url = list_url(kind=row.key, use=IN_USE)
        row.idle_url = list_url(kind=row.key, use=NOT_IN_USE)
    return render(
        request,
        "powers/summary.html",
        {
            "form": form,
            "summary": result,
            "period": period,
            "in_use_url": list_url(use=IN_USE),
            "idle_url": list_url(use=NOT_IN_USE),
            "window": urlencode(window),
        },
    )


urlpatterns = [
    path("", power_list, name="powers"),
    path("summary/", power_summary, name="powers_summary"),
    path("<int:pk>/", power_detail, name="power"),
]
