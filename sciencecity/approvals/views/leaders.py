"""The leaders' pages (领导驾驶舱): the overview with charts and tables, the list of all applications and the
drill-down to one application with its tasks, materials, certificates and audit trail.

Only people who read the whole zone (leaders, supervisors, administrators; `scoping.sees_everything`) and
hold `approvals.view_application` may open them; everyone else gets 403. The pages only read: supervisors
read everything and change nothing. The figures come from `sciencecity.approvals.dashboard`, a fixed number
of queries however many applications there are; every chart has a plain table of the same numbers.
"""

from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Q
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from sciencecity.accounts.models import Department
from sciencecity.accounts.scoping import sees_everything
from sciencecity.audit.trail import events_of
from sciencecity.catalog.models import Bundle
from sciencecity.enterprises.models import Enterprise
from sciencecity.workdays import clock
from sciencecity.workflow.errors import fetch_in_scope
from sciencecity.workflow.paging import page_of, rows_or_page

from .. import dashboard, target_dates
from ..models import (
    Application,
    Certificate,
    CorrectionNotice,
    Delivery,
    Rating,
    ReviewTask,
    SubmittedMaterial,
)
from ..services.deadlines import TASK_STATES, annotate_traffic_light, open_tasks, task_state_filter
from . import audit

PAGE_SIZE = 25
VIEW = "approvals.view_application"


def leader_required(view):
    """Logged in, `approvals.view_application`, and a zone-wide role; otherwise 403."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not (user.has_perm(VIEW) and sees_everything(user)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapped)


# --- the overview ----------------------------------------------------------------------------------------


@require_safe
@leader_required
def leaders_overview(request):
    today = clock.today()
    counts = dashboard.application_counts()  # the background snapshot ("as of"), or a live count
    by_status = dashboard.applications_by_status(counts)
    statuses, by_bundle = dashboard.applications_by_bundle(counts)
    for row in by_status:
        row["url"] = _list_url("approvals:leaders_applications", status=row["status"])
    for row in by_bundle:
        row.row_cells = row.cells(statuses)
        row.links = [
            {
                "count": count,
                "url": _list_url("approvals:leaders_applications", bundle=row.code, status=status),
            }
            for status, count in zip(statuses, row.row_cells, strict=True)
        ]
    status_labels = dict(Application.Status.choices)
    departments = dashboard.tasks_by_department(today)
    for row in departments:
        row["links"] = _task_links(row, department=row["code"])
    department_totals = _task_links({state: sum(row[state] for row in departments) for state in TASK_STATES})
    elapsed = dashboard.elapsed_working_days(today)
    targets = target_dates.risk_by_bundle(Application.objects.all(), today)
    for row in targets:
        row["url"] = _list_url("approvals:leaders_applications", bundle=row["code"], at_risk="on")
        row["reasons"] = [
            (risk.value, risk.label, row["reasons"].get(risk.value, 0)) for risk in target_dates.Risk
        ]
    reform = dashboard.reform_figures(today)
    reference = dashboard.reference_figures()

    def number(value):
        return None if value is None else float(value)

    data = {
        "labels": {
            "applications": _("办件数"),
            "open": _("在办任务"),
            "overdue": _("超期任务"),
            "escalated": _("督办任务"),
            "average": _("平均用时"),
            "median": _("中位用时"),
            "promised": _("承诺时限"),
            "separately": _("逐项单独办理"),
            "bundled": _("一件事集成办理"),
            "steps": _("环节"),
            "materials": _("材料"),
            "days": _("时间(工作日)"),
        },
        "by_status": [{"label": row["label"], "count": row["count"], "url": row["url"]} for row in by_status],
        "by_bundle": {
            "statuses": [str(status_labels[status]) for status in statuses],
            "bundles": [
                {"name": row.name, "counts": row.row_cells, "urls": [cell["url"] for cell in row.links]}
                for row in by_bundle
            ],
        },
        "departments": [
            {
                "name": row["name"],
                "open": row["open"],
                "overdue": row["overdue"],
                "escalated": row["escalated"],
                "urls": [url for _state, _count, url in row["links"]],
            }
            for row in departments
        ],
        "elapsed": [
            {
                "name": row.name,
                "average": number(row.average_days),
                "median": number(row.median_days),
                "promised": number(row.promised_days),
            }
            for row in elapsed.bundles
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
    }
    return render(
        request,
        "leaders/overview.html",
        {
            "today": today,
            "counts_as_of": counts.as_of,
            "by_status": by_status,
            "applications_total": sum(row["count"] for row in by_status),
            "bundle_statuses": [status_labels[status] for status in statuses],
            "by_bundle": by_bundle,
            "departments": departments,
            "department_totals": department_totals,
            "elapsed": elapsed,
            "targets": targets,
            "targets_at_risk": sum(row["at_risk"] for row in targets),
            "target_horizon": target_dates.horizon(today),
            "reform": reform,
            "reference": reference,
            "reference_bundles": dashboard.REFERENCE.bundles,
            "data": data,
        },
    )


def _list_url(name: str, **query) -> str:
    return f"{reverse(name)}?{urlencode(query)}"


def _task_links(figures: dict, **where) -> list[tuple[str, int, str]]:
    """(state, count, the leaders' task list of that state) for each figure of a departments' table row."""
    return [
        (state, figures[state], _list_url("approvals:leaders_tasks", **where, state=state))
        for state in TASK_STATES
    ]


# --- the list of applications ---------------------------------------------------------------------------


def _bundle_choices():
    """One choice per bundle code (a bundle keeps its code across catalog versions), newest name first."""
    seen, choices = set(), [("", _("全部"))]
    for code, bundle in ((b.code, b) for b in Bundle.objects.order_by("code", "-version__number")):
        if code not in seen:
            seen.add(code)
            choices.append((code, str(bundle)))
    return choices


class ApplicationFilterForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("状态"), required=False)
    bundle = forms.ChoiceField(label=gettext_lazy("一件事"), required=False)
    overdue = forms.BooleanField(label=gettext_lazy("仅看有超期任务的办件"), required=False)
    at_risk = forms.BooleanField(
        label=gettext_lazy("仅看定日出件有风险的办件"),
        required=False,
        help_text=gettext_lazy("目标交付日期(如交地日期)已过,或审批期限晚于它,或临近而未办结"),
    )
    q = forms.CharField(
        label=gettext_lazy("搜索"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("办件编号或企业名称"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("全部")), *Application.Status.choices]
        self.fields["bundle"].choices = _bundle_choices()
        for name, field in self.fields.items():
            field.widget.attrs["id"] = f"filter_{name}"


def _overdue_tasks_of_application():
    return ReviewTask.objects.filter(task_state_filter("overdue", clock.today()), application=OuterRef("pk"))


def application_list(user, filters: dict):
    """All applications `user` may read with the cleaned filters of `ApplicationFilterForm` (status, bundle,
    overdue, at_risk, q), newest first, each with its target date's risk: the page's one query (also measured
    by `make bench`)."""
    applications = Application.objects.for_user(user).annotate(
        has_overdue=Exists(_overdue_tasks_of_application())
    )
    if filters.get("at_risk"):
        applications = target_dates.at_risk(applications)
    applications = target_dates.annotate_risk(applications)
    if filters.get("status"):
        applications = applications.filter(status=filters["status"])
    if filters.get("bundle"):
        applications = applications.filter(bundle__code=filters["bundle"])
    if filters.get("overdue"):
        applications = applications.filter(has_overdue=True)
    if query := (filters.get("q") or "").strip():
        applications = applications.filter(search_filter(query))
    return applications.select_related("enterprise", "project", "bundle").order_by("-created_at", "-id")


# A search whose enterprise name matches at most this many enterprises names them in the query.
SEARCH_ENTERPRISES_LISTED = 100


def search_filter(query: str) -> Q:
    """Applications whose number or enterprise name contains `query` (case-insensitive).

    Written so that PostgreSQL can use its trigram indexes (migration `0004_search_trigram_indexes`, on
    `UPPER(number)` and `UPPER(enterprise.name)`, the expressions `icontains` compares): a join condition
    ORed with the number's cannot use an index, so the enterprises that match are read first (one indexed
    query, at most `SEARCH_ENTERPRISES_LISTED` + 1 rows) and named by id, which the enterprise index of
    applications serves; the planner then ORs two index scans, or, for a fragment that matches many
    applications, walks the newest first and stops after a page. When more enterprises match than that, the
    match is broad and a subquery stands in. Same rows on SQLite and PostgreSQL as the join it replaces."""
    enterprises = Enterprise.objects.filter(name__icontains=query).order_by().values_list("pk", flat=True)
    listed = list(enterprises[: SEARCH_ENTERPRISES_LISTED + 1])
    by_name = listed if len(listed) <= SEARCH_ENTERPRISES_LISTED else enterprises
    return Q(number__icontains=query) | Q(enterprise_id__in=by_name)


@require_safe
@leader_required
def leaders_applications(request):
    """All applications, newest first, filtered and searched; a page is sliced with one extra row to know
    whether a next page exists, so the table is never counted. To htmx, only the rows' region."""
    form = ApplicationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    applications = application_list(request.user, filters)

    page = page_of(request, applications, PAGE_SIZE)
    return rows_or_page(
        request,
        "leaders/_applications_results.html",
        "leaders/applications.html",
        {"form": form, "applications": page.pop("rows"), **page},
    )


# --- the open tasks behind the departments' figures ------------------------------------------------------------


class TaskFilterForm(forms.Form):
    """The overview's department row and column a figure came from: ?department=<code>&state=<state>."""

    department = forms.ChoiceField(label=gettext_lazy("部门"), required=False)
    state = forms.ChoiceField(label=gettext_lazy("任务"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [
            ("", _("全部")),
            *((d.code, d.display_name) for d in Department.objects.all()),
        ]
        self.fields["state"].choices = [
            ("open", _("在办任务")),
            ("overdue", _("超期任务")),
            ("escalated", _("督办任务")),
        ]
        for name, field in self.fields.items():
            field.widget.attrs["id"] = f"filter_{name}"


def open_task_list(user, filters: dict, today):
    """The open tasks `user` may read that the overview counts in one figure of its departments' table: the
    same filter (`task_state_filter`), so the list is as long as the figure. Most urgent first."""
    state = filters.get("state") or "open"
    tasks = open_tasks(ReviewTask.objects.for_user(user)).filter(task_state_filter(state, today))
    if filters.get("department"):
        tasks = tasks.filter(department__code=filters["department"])
    # Joined: what the rows show beside the task (not the project, which they do not show); the department
    # (a few rows) read apart: each join more costs the planner on every page (3 ms for five, in the load test).
    return (
        annotate_traffic_light(tasks)
        .select_related("item", "assignee", "application__enterprise")
        .prefetch_related("department")
        .order_by(F("promised_deadline").asc(nulls_last=True), "pk")
    )


@require_safe
@leader_required
def leaders_tasks(request):
    """The open, overdue or escalated tasks of one department or all: where a figure of the overview's
    departments' table (or a bar of its chart) leads."""
    form = TaskFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    tasks = open_task_list(request.user, filters, clock.today())
    page = page_of(request, tasks, PAGE_SIZE)
    return rows_or_page(
        request,
        "leaders/_tasks_results.html",
        "leaders/tasks.html",
        {"form": form, "tasks": page.pop("rows"), **page},
    )


# --- one application and its audit trail --------------------------------------------------------------------


def audit_trail(user, application, tasks, materials, certificates):
    """The audit events of the application and of its tasks, materials, certificates, correction notices,
    delivery and rating, oldest first, as the user may read them, each described by `audit.AuditReader`."""
    events = events_of(
        user,
        (Application, [application.pk]),
        (ReviewTask, [task.pk for task in tasks]),
        (SubmittedMaterial, [material.pk for material in materials]),
        (Certificate, [certificate.pk for certificate in certificates]),
        *(
            (model, list(model.objects.filter(application=application).values_list("pk", flat=True)))
            for model in (CorrectionNotice, Delivery, Rating)
        ),
    )
    # Named in words for a supervisor, with the names of all events' users, materials and items read at once.
    reader = audit.AuditReader(application, tasks=tasks, materials=materials, certificates=certificates)
    return reader.describe(events)


@require_safe
@leader_required
def leaders_application(request, pk):
    application = fetch_in_scope(
        Application.objects.for_user(request.user).select_related(
            "enterprise", "project", "bundle", "applicant"
        ),
        pk,
    )
    tasks = list(
        annotate_traffic_light(ReviewTask.objects.filter(application=application))
        .select_related("item", "department", "assignee")
        .order_by("item__code", "pk")
    )
    materials = list(
        SubmittedMaterial.objects.filter(application=application)
        .select_related("spec", "certificate")
        .order_by("spec__code", "-uploaded_at")
    )
    certificates = list(
        Certificate.objects.filter(application=application)
        .select_related("department", "task__item")
        .order_by("issued_at")
    )
    return render(
        request,
        "leaders/application.html",
        {
            "application": application,
            "tasks": tasks,
            "materials": materials,
            "certificates": certificates,
            "events": audit_trail(request.user, application, tasks, materials, certificates),
        },
    )


urlpatterns = [
    path("", leaders_overview, name="leaders_overview"),
    path("applications/", leaders_applications, name="leaders_applications"),
    path("applications/<int:pk>/", leaders_application, name="leaders_application"),
    path("tasks/", leaders_tasks, name="leaders_tasks"),
]
