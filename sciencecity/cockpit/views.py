"""The cockpit's pages: the board of the whole zone for a period, the records behind every figure (with their
Excel export), and the monthly reports.

Figures come from the period's kept count (`snapshots`), which the page says it is "as of"; the records page
lists and counts the same queryset live, and shows both numbers.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from sciencecity.approvals import dashboard
from sciencecity.workdays import clock
from sciencecity.workflow.paging import page_of

from . import figures, periods, rivers, services, timeline_views
from .access import GENERATE, cockpit_required
from .board import build
from .exports import workbook_response
from .models import ZoneReport
from .periods import PeriodError, parse_period
from .records import UnknownSelection, select
from .snapshots import reading

PAGE_SIZE = 25
REPORT_MONTHS = 24


def _period_options(today, selected):
    offered = periods.choices(today)
    return [
        {"label": periods.KINDS[kind], "options": [(p.key, p.label, p == selected) for p in listed]}
        for kind, listed in offered.items()
    ]


@require_safe
@cockpit_required
def board_page(request):
    today = clock.today()
    error = ""
    try:
        period = parse_period(request.GET.get("period"), today=today)
    except PeriodError as refusal:
        error, period = str(refusal), parse_period(None, today=today)
    board = build(period, today)
    reform = dashboard.reform_figures(today)
    following = period.following()
    chart_data = {
        "charts": [
            {
                "key": chart.key,
                "horizontal": chart.horizontal,
                "map": chart.map,
                "integer": all(figures.BY_KEY[s["figure"]].measure == figures.COUNT for s in chart.series),
                "categories": chart.categories,
                "series": chart.series,
            }
            for section in board.sections
            for chart in section.charts
        ],
        "reform": [
            {
                "title": f"{row['bundle']} · {row['scenario']}",
                "separately": row["separately"],
                "bundled": row["bundled"],
                "labels": [row["separately_label"], row["bundled_label"]],
            }
            for row in reform
        ],
        "labels": {
            "separately": _("逐项单独办理"),
            "bundled": _("一件事集成办理"),
            "steps": _("环节"),
            "materials": _("材料"),
            "days": _("时间(工作日)"),
        },
    }
    areas = board.chart("problems_by_area")
    hotspots = [
        {"code": category["value"], "count": count}
        for category, count in zip(areas.categories, areas.series[0]["values"], strict=True)
    ]
    return render(
        request,
        "cockpit/board.html",
        {
            "board": board,
            "period": period,
            "error": error,
            "period_options": _period_options(today, period),
            "previous": period.previous(),
            "following": None if following.is_future(today) else following,
            "reform": reform,
            "chart_data": chart_data,
            "hotspots": hotspots,
            "geojson_url": reverse("problems:areas"),
            "may_generate": request.user.has_perm(GENERATE),
            "timeline": timeline_views.panel(request.user, period),
            "rivers": rivers.panel(request.user),
        },
        status=400 if error else 200,
    )


@require_safe
@cockpit_required
def records_page(request, key):
    try:
        selection = select(
            key, request.GET.get("period"), request.GET.get("by", ""), request.GET.get("value", "")
        )
    except UnknownSelection as error:
        raise Http404(str(error)) from error
    except PeriodError as error:
        return render(request, "cockpit/records.html", {"error": str(error)}, status=400)
    listing = selection.listing
    if request.GET.get("format") == "xlsx":
        return workbook_response(selection.title, listing, selection.queryset, f"cockpit-{key}")
    page = page_of(request, listing.rows(selection.queryset), PAGE_SIZE)
    numeric = [column.numeric for column in listing.columns]
    rows = [
        {"cells": list(zip(listing.values(record), numeric, strict=True)), "url": listing.url(record)}
        for record in page.pop("rows")
    ]
    kept = reading(selection.period)
    query = request.GET.copy()
    query["format"] = "xlsx"
    query.pop("page", None)
    return render(
        request,
        "cockpit/records.html",
        {
            "selection": selection,
            "figure": selection.figure,
            "listing": listing,
            "rows": rows,
            "measure": selection.measure(),
            "kept": None if selection.dimension else kept.figures.get(selection.figure.key),
            "as_of": kept.as_of,
            "export_url": f"{request.path}?{query.urlencode()}",
            "board_url": f"{reverse('cockpit:board')}?period={selection.period.key}",
            **page,
        },
    )


class ReportForm(forms.Form):
    month = forms.ChoiceField(label=gettext_lazy("月份"))

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        month = periods.period_of(periods.MONTH, today or clock.today())
        offered = []
        for _step in range(REPORT_MONTHS):
            offered.append((month.key, month.label))
            month = month.previous()
        self.fields["month"].choices = offered
        self.fields["month"].initial = offered[1][0]  # last month: the usual report


@require_http_methods(["GET", "HEAD", "POST"])
@cockpit_required
def reports_page(request):
    form = ReportForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm(GENERATE):
            raise PermissionDenied
        if form.is_valid():
            try:
                report = services.request_report(request.user, parse_period(form.cleaned_data["month"]))
            except (ValidationError, PermissionDenied, PeriodError) as error:
                messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            else:
                messages.success(
                    request,
                    _("已开始生成 %(month)s 的园区月度报告,生成后可在下表下载。")
                    % {"month": report.month.strftime("%Y-%m")},
                )
                return redirect("cockpit:reports")
    reports = (
        ZoneReport.objects.for_user(request.user).select_related("requested_by").order_by("-month", "-id")
    )
    page = page_of(request, reports, PAGE_SIZE)
    return render(
        request,
        "cockpit/reports.html",
        {"form": form, "reports": page.pop("rows"), "may_generate": request.user.has_perm(GENERATE), **page},
        status=400 if form.errors else 200,
    )


@require_safe
@cockpit_required
def report_file(request, pk):
    report = ZoneReport.objects.for_user(request.user).filter(pk=pk, status=ZoneReport.Status.READY).first()
    if report is None or not report.file:
        raise Http404(_("报告尚未生成或不存在。"))
    return FileResponse(report.file.open("rb"), as_attachment=True, filename=report.filename)


app_name = "cockpit"
urlpatterns = [
    path("", board_page, name="board"),
    path("figures/<slug:key>/", records_page, name="records"),
    path("timeline/", timeline_views.timeline_page, name="timeline"),
    path("reports/", reports_page, name="reports"),
    path("reports/<int:pk>/file/", report_file, name="report_file"),
]
