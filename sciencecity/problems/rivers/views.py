"""The river pages (under /problems/rivers/, usable on a phone on a patrol): the sections with this month's
class against the target, each river's run of years; a section's page with its monthly chart, its years, its
readings and the problems found there; entering, correcting and importing readings (the section's
department). Everyone signed in reads them; writes go through `services`, whose refusals come back as form
errors or messages."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from sciencecity.workdays import clock
from sciencecity.workflow.errors import attach_errors, fetch_in_scope, post_only
from sciencecity.workflow.paging import page_of
from sciencecity.workflow.spreadsheets import xlsx_response

from .. import geo
from ..models import Problem
from ..services.deadlines import warn_until
from . import services, spreadsheet, status
from .forms import CorrectionForm, ImportForm, ReadingForm, SectionFilterForm
from .models import MonitoringSection, WaterReading
from .standard import INDICATORS, SHORT, UNIT, WaterClass

PROBLEM_ROWS = 10


def _area_label(code: str) -> str:
    area = geo.area_by_code(code)
    return geo.area_label(area) if area else ""


@login_required
@require_safe
def sections(request):
    """Every active section with its month against the target, grouped by river with the river's run."""
    form = SectionFilterForm(request.GET or None)
    chosen = form.cleaned_data if form.is_valid() else {}
    queryset = status.active_sections().filter(pk__in=MonitoringSection.objects.for_user(request.user))
    if chosen.get("river"):
        queryset = queryset.filter(river=chosen["river"])
    zone = status.zone(queryset)
    counts = status.problem_counts(Problem.objects.for_user(request.user))
    verdict = chosen.get("verdict")
    for river in zone.rivers:
        for row in river.sections:
            row.problems = counts.get(row.section.pk, {"open": 0, "total": 0})
        if verdict:
            river.shown = [row for row in river.sections if _verdict_matches(row, verdict)]
        else:
            river.shown = river.sections
    points = [
        {
            "id": row.section.pk,
            "lat": float(row.section.latitude),
            "lon": float(row.section.longitude),
            "status": row.verdict if not row.stale else "",
            "status_label": str(
                status.VERDICTS.get(row.verdict, _("无近期数据")) if not row.stale else _("无近期数据")
            ),
            "title": f"{row.section.river.display_name} {row.section.display_name}",
            "url": reverse("problems:section", args=[row.section.pk]),
        }
        for row in zone.sections
    ]
    return render(
        request,
        "problems/rivers/sections.html",
        {
            "form": form,
            "zone": zone,
            "points": points,
            "statuses": [{"code": code, "label": str(label)} for code, label in status.VERDICTS.items()]
            + [{"code": "", "label": _("无近期数据")}],
            "may_import": services.sections_recorded_by(request.user).exists(),
            "today": clock.today(),
        },
    )


def _verdict_matches(row, verdict: str) -> bool:
    if verdict == "none":
        return row.margin is None or row.stale
    if row.margin is None or row.stale:
        return False
    return row.margin >= 0 if verdict == "met" else row.margin < 0


def _section(request, pk):
    return fetch_in_scope(
        MonitoringSection.objects.for_user(request.user).select_related(
            "river", "river__department", "department"
        ),
        pk,
    )


def chart_data(section, readings) -> dict:
    """The section's months from its first reading to its latest, with the class (null for a month without a
    reading), the target and the indicators, for static/js/river_chart.js."""
    if not readings:
        return {"months": []}
    by_month = {status.month_index(r.month): r for r in readings}
    first, last = min(by_month), max(by_month)
    months = list(range(first, last + 1))
    return {
        "months": [f"{m // 12}-{m % 12 + 1:02d}" for m in months],
        "classes": [by_month[m].water_class if m in by_month else None for m in months],
        "target": section.target_class,
        "class_names": {str(value): SHORT[value] for value in WaterClass.values},
        "indicators": [
            {
                "key": indicator.field,
                "label": f"{indicator.label} ({indicator.symbol}, {UNIT})",
                "values": [
                    float(getattr(by_month[m], indicator.field))
                    if m in by_month and getattr(by_month[m], indicator.field) is not None
                    else None
                    for m in months
                ],
            }
            for indicator in INDICATORS
        ],
        "labels": {
            "class": _("水质类别"),
            "target": _("考核目标"),
            "indicators": _("主要指标"),
        },
    }


def _section_context(request, section, **extra) -> dict:
    readings = list(section.readings.select_related("recorded_by").order_by("month"))
    found = status.compute(section, [(r.month, r.water_class) for r in readings])
    problems = page_of(
        request,
        Problem.objects.for_user(request.user)
        .filter(section=section)
        .select_related("category", "department")
        .order_by("-reported_at", "-id"),
        PROBLEM_ROWS,
    )
    today = clock.today()
    until = warn_until(today)
    for problem in problems["rows"]:
        problem.traffic_light = problem.light(today, until)
    may_record = services.may_record(request.user, section)
    years = {}
    for reading in reversed(readings):
        years.setdefault(reading.month.year, []).append(reading)
    context = {
        "section": section,
        "status": found,
        "years": list(years.items()),
        "chart": chart_data(section, readings),
        "problems": problems,
        "area_label": _area_label(section.area),
        "may_record": may_record,
        "reading_form": ReadingForm(initial={"month": _last_month()}) if may_record else None,
        "point": [
            {
                "id": section.pk,
                "lat": float(section.latitude),
                "lon": float(section.longitude),
                "status": found.verdict,
                "status_label": found.verdict_label or _("无近期数据"),
                "title": f"{section.river.display_name} {section.display_name}",
                "url": request.path,
            }
        ],
        "report_url": f"{reverse('problems:report')}?source=river_patrol&section={section.pk}",
        "indicators": INDICATORS,
        "unit": UNIT,
    }
    context.update(extra)
    return context


def _last_month():
    """The month a department usually enters: the last one (a month's report comes out after it ends)."""
    return (clock.today().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


@login_required
@require_safe
def section_page(request, pk):
    section = _section(request, pk)
    return render(request, "problems/rivers/section.html", _section_context(request, section))


@login_required
@post_only("problems:section", "pk", anchor="#record")
@require_POST
def record_reading(request, pk):
    section = _section(request, pk)
    form = ReadingForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            reading = services.record_reading(
                request.user,
                services.Reading(section=section, **{k: data.get(k) for k in _READING_FIELDS}),
            )
        except PermissionDenied as error:
            messages.error(request, str(error) or _("您没有录入监测数据的权限。"))
            return redirect("problems:section", pk=section.pk)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(
                request,
                _("已录入 %(month)s 的监测数据:%(class)s。")
                % {"month": services.month_label(reading.month), "class": reading.get_water_class_display()},
            )
            return redirect("problems:section", pk=section.pk)
    context = _section_context(request, section, reading_form=form)
    return render(request, "problems/rivers/section.html", context, status=400)


_READING_FIELDS = (
    "month",
    "water_class",
    "cod",
    "ammonia_nitrogen",
    "total_phosphorus",
    "dissolved_oxygen",
    "note",
)


@login_required
@require_http_methods(["GET", "POST"])
def correct_reading(request, pk):
    reading = fetch_in_scope(WaterReading.objects.for_user(request.user).select_related("section__river"), pk)
    section = reading.section
    if not services.may_record(request.user, section):
        raise PermissionDenied(_("只有该断面的责任部门可以更正监测数据。"))
    initial = {name: getattr(reading, name) for name in _READING_FIELDS if name != "month"}
    form = CorrectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.correct_reading(
                request.user,
                reading,
                services.Reading(
                    section=section,
                    month=reading.month,
                    **{k: data.get(k) for k in _READING_FIELDS if k != "month"},
                ),
                data["reason"],
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("监测数据已更正。"))
            return redirect("problems:section", pk=section.pk)
    return render(
        request,
        "problems/rivers/correct.html",
        {"form": form, "reading": reading, "section": section, "month": services.month_label(reading.month)},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_readings(request):
    """A month of readings from Excel (the sections' departments); `?template=1` downloads the sheet to fill."""
    if not services.sections_recorded_by(request.user).exists():
        raise PermissionDenied(_("只有断面的责任部门可以导入监测数据。"))
    if request.method == "GET" and request.GET.get("template"):
        return xlsx_response(spreadsheet.template(request.user), "water-readings.xlsx")
    form = ImportForm(request.POST or None, request.FILES or None, initial={"month": _last_month()})
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = spreadsheet.import_readings(
                request.user, form.cleaned_data["file"], form.cleaned_data["month"]
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            if result.ok:
                messages.success(
                    request,
                    _("已导入 %(month)s 的 %(n)d 条监测数据。")
                    % {"month": services.month_label(result.month), "n": len(result.created)},
                )
                return redirect("problems:sections")
    failed = bool(form.errors) or (result is not None and not result.ok)
    return render(
        request,
        "problems/rivers/import.html",
        {"form": form, "result": result, "sections": services.sections_recorded_by(request.user)},
        status=400 if failed else 200,
    )


urlpatterns = [
    path("", sections, name="sections"),
    path("import/", import_readings, name="import_readings"),
    path("readings/<int:pk>/correct/", correct_reading, name="correct_reading"),
    path("<int:pk>/", section_page, name="section"),
    path("<int:pk>/readings/", record_reading, name="record_reading"),
]
