"""The department pages (后台分类审批): the worklist with traffic-light deadlines, the task page with what
the item needs and the other departments' progress, the reviewer's actions and the head's reassign and extend.

Every task is read through `ReviewTask.objects.for_user()`, so another department's task answers 404; every
change goes through `services.review`, whose refusals come back as messages or as errors on the form that
asked, never as a server error.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from sciencecity.accounts.scoping import sees_everything
from sciencecity.catalog.models import Bundle, CatalogVersion, ItemMaterial, MaterialSpec
from sciencecity.workflow.errors import ACTION_REFUSALS, fetch_in_scope, post_only, refusal_message
from sciencecity.workflow.paging import page_of, rows_or_page

from .. import selectors
from ..forms.department import (
    ClaimForm,
    DecisionForm,
    ExtendForm,
    InspectionForm,
    OpinionForm,
    ReassignForm,
    SupplementForm,
    WorklistFilterForm,
    department_reviewers,
)
from ..models import ReviewTask
from ..services import review
from ..services.deadlines import Thresholds, annotate_traffic_light

T = ReviewTask.Status
PAGE_SIZE = 25
REVIEW = "approvals.review_task"
MANAGE = "approvals.manage_department_tasks"
WORKLIST_RELATED = (
    "item",
    "department",
    "assignee",
    "application__enterprise",
    "application__project",
    "application__bundle",
)


# The worklist's rows join only what they show beside the task; the bundle (a few catalog rows) is read
# apart and the department is the reader's own. Every join more costs PostgreSQL's planner on every page:
# WORKLIST_RELATED's seven-table join took 5 ms to plan and 0.5 ms to run at 100,000 applications in the
# load test (`bench/load.py`), this one under 2 ms.
WORKLIST_ROW_RELATED = ("item", "assignee", "application__enterprise", "application__project")


def reviewer_required(view):
    return login_required(permission_required(REVIEW, raise_exception=True)(view))


def _scoped_tasks(user):
    return ReviewTask.objects.for_user(user)


# --- the worklist ------------------------------------------------------------------------------------------


def worklist_tasks(user, filters: dict):
    """The worklist's tasks for `user` with the cleaned filters of `WorklistFilterForm` (status, who, bundle,
    q, light), with traffic lights, by promised deadline: the page's one query (also measured by `make
    bench`)."""
    tasks = _scoped_tasks(user)
    status = filters.get("status") or ""
    tasks = tasks.filter(status=status) if status else tasks.filter(status__in=ReviewTask.OPEN_STATUSES)
    who = filters.get("who") or "all"
    if who == "mine":
        tasks = tasks.filter(assignee=user)
    elif who == "unclaimed":
        tasks = tasks.filter(assignee__isnull=True)
    if filters.get("bundle"):
        tasks = tasks.filter(application__bundle=filters["bundle"])
    if query := (filters.get("q") or "").strip():
        tasks = tasks.filter(
            Q(application__number__icontains=query)
            | Q(application__enterprise__name__icontains=query)
            | Q(application__project__name__icontains=query)
        )
    tasks = annotate_traffic_light(tasks)
    if filters.get("light"):
        tasks = tasks.filter(traffic_light=filters["light"])
    return (
        tasks.select_related(*WORKLIST_ROW_RELATED)
        .prefetch_related("application__bundle")
        .order_by(F("promised_deadline").asc(nulls_last=True), "pk")
    )


def _attach_head_forms(user, tasks) -> None:
    """For a head, give each running task of the page its reassign and extend forms (`task.reassign_form`,
    `task.extend_form`), with ids of their own per row. The reviewers offered are read once per department,
    so the page's number of queries does not grow with its rows; each row leaves out its current assignee."""
    if not user.has_perm(MANAGE):
        return
    choices = {}
    for task in tasks:
        if task.status not in ReviewTask.RUNNING_STATUSES:
            continue
        reassign = ReassignForm(
            department_id=task.department_id,
            current_assignee_id=task.assignee_id,
            auto_id=f"reassign_{task.pk}_%s",
        )
        field = reassign.fields["assignee"]
        if task.department_id not in choices:
            reviewers = department_reviewers(task.department_id)
            choices[task.department_id] = [
                (reviewer.pk, field.label_from_instance(reviewer)) for reviewer in reviewers
            ]
        field.widget.choices = [("", field.empty_label)] + [
            (pk, label) for pk, label in choices[task.department_id] if pk != task.assignee_id
        ]
        task.reassign_form = reassign
        task.extend_form = ExtendForm(auto_id=f"extend_{task.pk}_%s")


def _bundle_choices(user):
    """The bundles the worklist's filter offers: those of the published catalog with an item of the user's
    department (every bundle for those who read every department's tasks). Read from the catalog's few rows:
    asking the tasks which bundles they belong to scanned the department's whole history on every page
    (57 ms at 100,000 applications in the load test, and growing with them). A bundle with no task of the
    department yet is offered too; it filters the list to nothing."""
    bundles = Bundle.objects.exclude(version__status=CatalogVersion.Status.DRAFT)
    if not (sees_everything(user) or "window_clerk" in user.role_codes()):
        bundles = bundles.filter(bundle_items__item__department_id=user.department_id)
    return bundles.distinct().order_by("name", "pk")


@require_safe
@reviewer_required
def department_worklist(request):
    """The department's open tasks by promised deadline, filtered and searched; pages are sliced with one
    extra row to know whether a next page exists, so the table is never counted. To htmx, only the rows'
    region (`paging.rows_or_page`)."""
    user = request.user
    form = WorklistFilterForm(request.GET or None, bundles=_bundle_choices(user))
    filters = form.cleaned_data if form.is_valid() else {}
    tasks = worklist_tasks(user, filters)

    page = page_of(request, tasks, PAGE_SIZE)
    _attach_head_forms(user, page["rows"])
    return rows_or_page(
        request,
        "department/_worklist_results.html",
        "department/worklist.html",
        {"form": form, "tasks": page.pop("rows"), **page},
    )


# --- the task page -----------------------------------------------------------------------------------------


def _get_task(request, pk, limits=None) -> ReviewTask:
    """The task in the user's scope with its light; `limits`, the request's thresholds (`Thresholds.on()`),
    when the page computes other lights too (they read the calendar)."""
    tasks = annotate_traffic_light(_scoped_tasks(request.user), limits).select_related(*WORKLIST_RELATED)
    return fetch_in_scope(tasks, pk)


def _materials(task):
    """The materials the item needs, each with the application's current submission (if any)."""
    uses = list(
        ItemMaterial.objects.filter(item_id=task.item_id)
        .select_related("material")
        .order_by("material__code")
    )
    current = {
        material.spec_id: material
        for material in task.application.materials.filter(
            is_current=True, spec_id__in=[use.material_id for use in uses]
        ).select_related("certificate")
    }
    # A certificate the item needs and nobody uploads: issued earlier for the project (this application's
    # prerequisites included, the moment they are issued), or still to be issued by a task of this application.
    wanted = {
        use.material.certificate_code
        for use in uses
        if use.material.source == MaterialSpec.Source.CERTIFICATE
        and use.material.certificate_code
        and use.material_id not in current
    }
    application = task.application
    held = selectors.reusable_certificates(application.enterprise_id, application.project_id, wanted)
    producers = {}
    if wanted.difference(held):
        producers = {
            other.item.certificate_code: other
            for other in application.tasks.filter(item__certificate_code__in=wanted.difference(held))
            .exclude(pk=task.pk)
            .select_related("item", "department")
        }
    rows = []
    for use in uses:
        code = use.material.certificate_code
        rows.append(
            {
                "use": use,
                "spec": use.material,
                "submitted": current.get(use.material_id),
                "certificate": held.get(code) if code else None,
                "producer": producers.get(code) if code else None,
            }
        )
    return rows


def _forms_for(request, task, bound=None):
    """The action forms this user may use on this task now; `bound` replaces one with its submitted copy."""
    user = request.user
    forms = {}
    if task.status == T.PENDING and user.has_perm(REVIEW):
        forms["claim_form"] = ClaimForm()
    if task.status == T.IN_REVIEW and task.assignee_id == user.pk:
        forms["opinion_form"] = OpinionForm()
        forms["inspection_form"] = InspectionForm()
        forms["decision_form"] = DecisionForm(pledge_allowed=task.item.pledge_allowed)
        forms["supplement_form"] = SupplementForm()
    if task.status in ReviewTask.RUNNING_STATUSES and user.has_perm(MANAGE):
        forms["reassign_form"] = ReassignForm(
            department_id=task.department_id, current_assignee_id=task.assignee_id
        )
        forms["extend_form"] = ExtendForm()
    if bound:
        forms.update(bound)
    return forms


def _render_task(request, task, bound=None, status=200, limits=None):
    application = task.application
    form_entries = selectors.merged_form(
        application.bundle, [task.item], application.enterprise, application.project, application.form_data
    )
    others = (
        annotate_traffic_light(application.tasks.exclude(pk=task.pk), limits)
        .select_related("item", "department", "assignee")
        .order_by("department__name", "item__code")
    )
    events = task.events.select_related("author").order_by("created_at", "pk")
    context = {
        "task": task,
        "application": application,
        "form_entries": form_entries,
        "materials": _materials(task),
        "other_tasks": others,
        "events": events,
        **_forms_for(request, task, bound),
    }
    return render(request, "department/task.html", context, status=status)


@require_safe
@reviewer_required
def department_task(request, pk):
    limits = Thresholds.on()  # the task's light and the other tasks': the thresholds read once
    return _render_task(request, _get_task(request, pk, limits), limits=limits)


# --- actions -------------------------------------------------------------------------------------------------


def _attach(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: per field where the form has that field, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _act(request, pk, form_class, form_key, perform, success, *, form_kwargs=None, permission=REVIEW):
    """Validate `form_class` from POST, call `perform(task, cleaned_data)` (a service), and answer: back to
    the task page with a message, or the page again with the form's errors (400)."""
    if not request.user.has_perm(permission):
        raise PermissionDenied(_("您没有此操作的权限。"))
    task = _get_task(request, pk)
    form = form_class(request.POST, **(form_kwargs(task) if form_kwargs else {}))
    if not form.is_valid():
        messages.error(request, _("请修改下面标出的错误。"))
        return _render_task(request, task, {form_key: form}, status=400)
    try:
        perform(task, form.cleaned_data)
    except Http404:
        raise
    except ValidationError as error:
        _attach(form, error)
        messages.error(request, _("请修改下面标出的错误。"))
        return _render_task(request, _get_task(request, pk), {form_key: form}, status=400)
    except ACTION_REFUSALS as error:
        messages.error(request, refusal_message(error, request.user))
        return redirect("approvals:department_task", pk=task.pk)
    messages.success(request, success)
    return redirect(_next_page(request) or reverse("approvals:department_task", kwargs={"pk": task.pk}))


def _next_page(request) -> str:
    """The page a form asked to come back to after success (`next`: the worklist's inline forms), if it is
    one of this site's."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@post_only("approvals:department_task", "pk")
@reviewer_required
def claim(request, pk):
    return _act(
        request,
        pk,
        ClaimForm,
        "claim_form",
        lambda task, data: review.claim_task(request.user, task),
        _("已认领任务。"),
    )


@post_only("approvals:department_task", "pk")
@reviewer_required
def opinion(request, pk):
    return _act(
        request,
        pk,
        OpinionForm,
        "opinion_form",
        lambda task, data: review.add_opinion(request.user, task, data["text"]),
        _("已记录审查意见。"),
    )


@post_only("approvals:department_task", "pk")
@reviewer_required
def inspection(request, pk):
    return _act(
        request,
        pk,
        InspectionForm,
        "inspection_form",
        lambda task, data: review.record_site_inspection(
            request.user, task, data["date"], data["findings"], data["passed"]
        ),
        _("已记录现场勘查。"),
    )


def _decide(user, task, data):
    decision, reasons = data["decision"], data.get("reasons") or ""
    if decision == DecisionForm.REJECT:
        return review.reject_task(user, task, reasons)
    if decision == DecisionForm.PLEDGE:
        return review.approve_task_on_pledge(user, task, reasons)
    return review.approve_task(user, task, reasons)


@post_only("approvals:department_task", "pk")
@reviewer_required
def decision(request, pk):
    return _act(
        request,
        pk,
        DecisionForm,
        "decision_form",
        lambda task, data: _decide(request.user, task, data),
        _("已作出审批决定。"),
        form_kwargs=lambda task: {"pledge_allowed": task.item.pledge_allowed},
    )


@post_only("approvals:department_task", "pk")
@reviewer_required
def supplement(request, pk):
    return _act(
        request,
        pk,
        SupplementForm,
        "supplement_form",
        lambda task, data: review.request_supplement(request.user, task, data["text"]),
        _("已通知申请人补充材料,审批时限暂停计算。"),
    )


@post_only("approvals:department_task", "pk")
@reviewer_required
def reassign(request, pk):
    return _act(
        request,
        pk,
        ReassignForm,
        "reassign_form",
        lambda task, data: review.reassign_task(request.user, task, data["assignee"]),
        _("已改派任务。"),
        form_kwargs=lambda task: {
            "department_id": task.department_id,
            "current_assignee_id": task.assignee_id,
        },
        permission=MANAGE,
    )


@post_only("approvals:department_task", "pk")
@reviewer_required
def extend(request, pk):
    return _act(
        request,
        pk,
        ExtendForm,
        "extend_form",
        lambda task, data: review.extend_deadline(request.user, task, data["days"], data["reason"]),
        _("已延长期限。"),
        permission=MANAGE,
    )


urlpatterns = [
    path("", department_worklist, name="department_worklist"),
    path("tasks/<int:pk>/", department_task, name="department_task"),
    path("tasks/<int:pk>/claim/", claim, name="department_task_claim"),
    path("tasks/<int:pk>/opinion/", opinion, name="department_task_opinion"),
    path("tasks/<int:pk>/inspection/", inspection, name="department_task_inspection"),
    path("tasks/<int:pk>/decision/", decision, name="department_task_decision"),
    path("tasks/<int:pk>/supplement/", supplement, name="department_task_supplement"),
    path("tasks/<int:pk>/reassign/", reassign, name="department_task_reassign"),
    path("tasks/<int:pk>/extend/", extend, name="department_task_extend"),
]
