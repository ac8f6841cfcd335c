"""The window pages (综合窗口): the intake queue by deadline, the intake page with a verdict per material and
the four outcomes, the follow-up of tolerated gaps, the delivery queue and delivery; plus the scoped view of
a submitted material's file that every audience's pages link to.

Pages need the permission `approvals.intake_application` (403 without it); every application is read through
`Application.objects.for_user()`, so one outside the user's scope answers 404. Every change goes through
`services.intake` and `services.delivery`; their refusals come back as messages or as errors on the form that
asked, never as a server error.
"""

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_safe

from sciencecity.catalog.models import MaterialSpec
from sciencecity.workdays import clock
from sciencecity.workflow.errors import ACTION_REFUSALS, fetch_in_scope, post_only, refusal_message
from sciencecity.workflow.paging import page_of

from ..files import material_response
from ..forms.window import (
    ACCEPT,
    CORRECTION,
    GAPS,
    OUTCOMES,
    REFUSE,
    DeliveryForm,
    IntakeForm,
    RejectGapForm,
)
from ..models import Application, Delivery, SubmittedMaterial
from ..services import delivery as delivery_service
from ..services import intake
from ..services.applications import current_materials, requirements
from ..services.certificates import licence_permits_prefetch
from ..services.deadlines import Thresholds

A = Application.Status
V = SubmittedMaterial.Verdict
PAGE_SIZE = 25
INTAKE = "approvals.intake_application"
QUEUE_RELATED = ("enterprise", "project", "bundle")


def clerk_required(view):
    return login_required(permission_required(INTAKE, raise_exception=True)(view))


def _applications(user):
    return Application.objects.for_user(user)


def _get_application(request, pk) -> Application:
    return fetch_in_scope(_applications(request.user).select_related(*QUEUE_RELATED, "applicant"), pk)


def _page(request, queryset) -> dict:
    return page_of(request, queryset, PAGE_SIZE)


# --- the intake queue ---------------------------------------------------------------------------------------


@require_safe
@clerk_required
def window_queue(request):
    """Submitted applications by intake deadline, the oldest first, each with its traffic light."""
    applications = (
        _applications(request.user)
        .filter(status=A.SUBMITTED)
        .select_related(*QUEUE_RELATED)
        .order_by(F("intake_deadline").asc(nulls_last=True), "submitted_at", "pk")
    )
    context = _page(request, applications)
    limits = Thresholds.on()
    for application in context["rows"]:
        application.traffic_light = limits.light_for(application.intake_deadline)
    return render(request, "window/queue.html", {**context, "tab": "intake"})


# --- the intake page ----------------------------------------------------------------------------------------


def _material_rows(application) -> list[dict]:
    """Each material of the complete notice with the application's current submission (if any), then any
    current submission the notice no longer names."""
    _items, notice, _form = requirements(application, complete=False)
    current = current_materials(application)
    rows = []
    for entry in notice:
        material = current.pop(entry.code, None)
        if material is None and not entry.needs_submission:
            rows.append(
                {"code": entry.code, "spec": entry.spec, "entry": entry, "material": None, "held": True}
            )
            continue
        rows.append({"code": entry.code, "spec": entry.spec, "entry": entry, "material": material})
    for code, material in sorted(current.items()):
        rows.append({"code": code, "spec": material.spec, "entry": None, "material": material})
    return rows


def _form_entries(application):
    _items, _notice, form = requirements(application, complete=False)
    return form


def _correction_history(application, limit=5):
    """The latest correction notices, each with `rows`: its problems with the name of the material each
    names (in the page's language), read in one query."""
    notices = list(application.correction_notices.order_by("-issued_at")[:limit])
    codes = {problem.get("material") for notice in notices for problem in notice.problems} - {None, ""}
    specs = {}
    if codes:
        specs = {
            spec.code: spec
            for spec in MaterialSpec.objects.filter(version_id=application.bundle.version_id, code__in=codes)
        }
    for notice in notices:
        notice.rows = [
            {
                "material": specs[code].display_name if code in specs else code,
                "problem": problem.get("problem", ""),
            }
            for problem in notice.problems
            for code in [problem.get("material") or ""]
        ]
    return notices


def _render_intake(request, application, form=None, status=200):
    rows = _material_rows(application)
    judged = [row for row in rows if not row.get("held")]
    if form is None and application.status == A.SUBMITTED:
        form = IntakeForm(rows=judged)
    context = {
        "application": application,
        "form_entries": _form_entries(application),
        "held_rows": [row for row in rows if row.get("held")],
        "form": form,
        "light": Thresholds.on().light_for(application.intake_deadline)
        if application.status == A.SUBMITTED
        else None,
        "corrections": _correction_history(application),
        "outcomes": {"accept": ACCEPT, "gaps": GAPS, "correction": CORRECTION, "refuse": REFUSE},
    }
    return render(request, "window/intake.html", context, status=status)


def _attach(form, error: ValidationError, field_for=None) -> None:
    """Put a service's ValidationError on the form: per field where the form has one, else on top."""
    if hasattr(error, "error_dict"):
        for key, errors in error.error_dict.items():
            field = field_for(key) if field_for else (key if key in form.fields else None)
            form.add_error(field, errors)
    else:
        form.add_error(None, error)


def _decide(user, application, outcome, form):
    """Record the verdicts, then take the outcome, all or nothing."""
    with transaction.atomic():
        if outcome == REFUSE:
            return intake.refuse_application(user, application, form.cleaned_data["reason"])
        verdicts = form.verdicts()
        if verdicts:
            intake.record_verdicts(user, application, verdicts)
        if outcome == ACCEPT:
            return intake.accept_application(user, application)
        if outcome == GAPS:
            return intake.accept_with_gaps(user, application, form.gaps())
        return intake.request_correction(user, application, form.problems(), form.cleaned_data["note"])


SUCCESS = {
    ACCEPT: gettext_lazy("已受理,办件已分送各审批部门。"),
    GAPS: gettext_lazy("已容缺受理,办件已分送各审批部门;容缺材料须按期补交。"),
    CORRECTION: gettext_lazy("已一次性告知申请人需补正的全部问题。"),
    REFUSE: gettext_lazy("已作出不予受理决定并告知申请人。"),
}


@require_http_methods(["GET", "HEAD", "POST"])
@clerk_required
def window_intake(request, pk):
    application = _get_application(request, pk)
    if request.method != "POST":
        return _render_intake(request, application)
    if application.status != A.SUBMITTED:
        messages.error(
            request,
            _("办件当前状态为“%(state)s”,只有待受理的办件可以受理。")
            % {"state": application.get_status_display()},
        )
        return redirect("approvals:window_intake", pk=application.pk)
    rows = [row for row in _material_rows(application) if not row.get("held")]
    if "mark_all" in request.POST:
        return _render_intake(request, application, _all_conforming(request.POST, rows))
    form = IntakeForm(request.POST, rows=rows)
    outcome = request.POST.get("outcome", "")
    if not form.is_valid() or outcome not in OUTCOMES:
        if outcome not in OUTCOMES:
            form.add_error(None, _("请选择受理结果。"))
        messages.error(request, _("请修改下面标出的错误。"))
        return _render_intake(request, application, form, status=400)
    try:
        _decide(request.user, application, outcome, form)
    except Http404:
        raise
    except ValidationError as error:
        _attach(form, error, form.field_for)
        messages.error(request, _("请修改下面标出的错误。"))
        return _render_intake(request, _get_application(request, pk), form, status=400)
    except ACTION_REFUSALS as error:
        # Nothing was saved: the page comes back with the clerk's verdicts and notes as entered.
        messages.error(request, refusal_message(error, request.user))
        return _render_intake(request, _get_application(request, pk), form, status=409)
    messages.success(request, SUCCESS[outcome])
    return redirect("approvals:window_queue")


def _all_conforming(data, rows) -> IntakeForm:
    """The clerk's form as entered, with every material that can be marked so set to "conforms": the clerk
    then changes the few that do not and chooses the outcome. Nothing is saved by this."""
    data = data.copy()
    form = IntakeForm(rows=rows)
    for name, field in form.fields.items():
        if name.startswith("verdict_") and V.ACCEPTED in dict(field.choices):
            data[name] = V.ACCEPTED
    return IntakeForm(data, rows=rows)


# --- a material's file ----------------------------------------------------------------------------------------


@require_safe
@login_required
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": [SELF]})
def material_file(request, pk):
    """A submitted material's file, for anyone who can see its application (404 otherwise). PDFs and images
    open in the browser (inline); other kinds download. The platform's own pages may show it in a frame (the
    reviewer's and the clerk's previews); other sites may not."""
    materials = SubmittedMaterial.objects.filter(application__in=_applications(request.user))
    material = fetch_in_scope(materials, pk)
    return material_response(material)


# --- tolerated gaps -------------------------------------------------------------------------------------------


@require_safe
@clerk_required
def window_gaps(request):
    """Gaps tolerated at intake and not yet closed, in open applications, by due date."""
    gaps = (
        SubmittedMaterial.objects.filter(
            application__in=_applications(request.user).filter(status__in=Application.OPEN_STATUSES),
            is_current=True,
            gap_due_date__isnull=False,
        )
        .exclude(verdict=V.ACCEPTED)
        .select_related("spec", "application__enterprise", "application__project")
        .order_by("gap_due_date", "pk")
    )
    context = _page(request, gaps)
    limits = Thresholds.on()
    for material in context["rows"]:
        material.overdue = material.gap_due_date < limits.today and material.verdict != V.PENDING
        material.traffic_light = limits.light_for(material.gap_due_date)
        material.reject_form = RejectGapForm(material_pk=material.pk)
    return render(request, "window/gaps.html", {**context, "tab": "gaps"})


def _scoped_material(request, pk) -> SubmittedMaterial:
    return fetch_in_scope(SubmittedMaterial.objects.filter(application__in=_applications(request.user)), pk)


def _gap_action(request, pk, perform, success):
    material = _scoped_material(request, pk)
    try:
        perform(material)
    except Http404:
        raise
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except ACTION_REFUSALS as error:
        messages.error(request, refusal_message(error, request.user))
    else:
        messages.success(request, success % {"material": material.spec.display_name})
    return redirect("approvals:window_gaps")


@post_only("approvals:window_gaps")
@clerk_required
def accept_gap(request, pk):
    return _gap_action(
        request,
        pk,
        lambda material: intake.accept_supplied_gap(request.user, material),
        _("已确认补交的容缺材料“%(material)s”。"),
    )


@post_only("approvals:window_gaps")
@clerk_required
def reject_gap(request, pk):
    form = RejectGapForm(request.POST, material_pk=pk)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _gap_action(
        request,
        pk,
        lambda material: intake.reject_supplied_gap(request.user, material, note),
        _("已退回补交的容缺材料“%(material)s”,申请人须重新补交。"),
    )


# --- delivery -------------------------------------------------------------------------------------------------


@require_safe
@clerk_required
def window_delivery(request):
    """Concluded applications waiting for delivery, the longest waiting first; above them, those whose target
    date has come (delivered on that day: `services.delivery`)."""
    applications = (
        _applications(request.user)
        .filter(status=A.CONCLUDED)
        .select_related(*QUEUE_RELATED)
        .order_by(F("concluded_at").asc(nulls_last=True), "pk")
    )
    context = _page(request, applications)
    today = clock.today()
    # Those whose target date (e.g. the land handover day) has come: to deliver today, named first.
    due = (
        _applications(request.user)
        .filter(status=A.CONCLUDED, target_date__lte=today)
        .select_related(*QUEUE_RELATED)
        .order_by("target_date", "pk")[:PAGE_SIZE]
    )
    return render(
        request,
        "window/delivery_queue.html",
        {**context, "tab": "delivery", "today": today, "due_today": list(due)},
    )


def _render_deliver(request, application, form=None, status=200):
    record = Delivery.objects.select_related("delivered_by").filter(application=application).first()
    if form is None and record is None and application.status == A.CONCLUDED:
        form = DeliveryForm()
    context = {
        "application": application,
        "certificates": application.certificates.select_related("department", "task__item")
        .prefetch_related(licence_permits_prefetch())
        .order_by("number"),
        "record": record,
        "form": form if record is None else None,
        # Delivered on its target date (e.g. the land handover day), not before: the page says so.
        "waits_for_target": application.target_date is not None and clock.today() < application.target_date,
    }
    return render(request, "window/deliver.html", context, status=status)


def _already_delivered(application) -> str:
    record = Delivery.objects.filter(application=application).first()
    if record is None:
        return ""
    return _("办件 %(number)s 已于 %(when)s 以“%(method)s”方式出件,不能重复出件。") % {
        "number": application.number,
        "when": record.delivered_at.strftime("%Y-%m-%d %H:%M"),
        "method": record.get_method_display(),
    }


@require_http_methods(["GET", "HEAD", "POST"])
@clerk_required
def window_deliver(request, pk):
    application = _get_application(request, pk)
    if request.method != "POST":
        return _render_deliver(request, application)
    if message := _already_delivered(application):
        messages.error(request, message)
        return redirect("approvals:window_deliver", pk=application.pk)
    form = DeliveryForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请修改下面标出的错误。"))
        return _render_deliver(request, application, form, status=400)
    try:
        delivery_service.deliver_application(request.user, application, **form.cleaned_data)
    except Http404:
        raise
    except ValidationError as error:
        _attach(form, error)
        messages.error(request, _("请修改下面标出的错误。"))
        return _render_deliver(request, application, form, status=400)
    except ACTION_REFUSALS as error:
        messages.error(request, _already_delivered(application) or refusal_message(error, request.user))
        return redirect("approvals:window_deliver", pk=application.pk)
    messages.success(request, _("办件 %(number)s 已出件。") % {"number": application.number})
    return redirect("approvals:window_delivery")


urlpatterns = [
    path("", window_queue, name="window_queue"),
    path("applications/<int:pk>/intake/", window_intake, name="window_intake"),
    path("materials/<int:pk>/file/", material_file, name="material_file"),
    path("gaps/", window_gaps, name="window_gaps"),
    path("gaps/<int:pk>/accept/", accept_gap, name="window_gap_accept"),
    path("gaps/<int:pk>/reject/", reject_gap, name="window_gap_reject"),
    path("delivery/", window_delivery, name="window_delivery"),
    path("applications/<int:pk>/deliver/", window_deliver, name="window_deliver"),
]
