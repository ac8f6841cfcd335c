"""The enterprise portal: my enterprise, its projects and applications; registering a project; the guided
application wizard (project → bundle → situation questions → items and checklist → merged form → materials
→ review and submit); and each application's progress page, where correction and supplement notices are
answered, certificates downloaded, the service rated and the application withdrawn.

Only applicants of an enterprise come here (`approvals.submit_application` and an enterprise). Every row
is read through `Model.objects.for_user()`, so another enterprise's project or application answers 404;
every change goes through the services, whose refusals come back as errors on the form that asked or as
messages, never as a server error. Starting and submitting carry an idempotency key in a hidden field, so a
double click gives the same draft or the same submission.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from sciencecity.catalog.models import Bundle, CatalogVersion, ItemMaterial
from sciencecity.notifications.selectors import unread_count
from sciencecity.projects import services as project_services
from sciencecity.projects.models import Project
from sciencecity.projects.views import file_context
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import ONE_DAY, WorkingCalendar
from sciencecity.workflow.errors import (
    ACTION_REFUSALS,
    attach_errors,
    fetch_in_scope,
    post_only,
    refusal_message,
)

from ..forms.portal import (
    AnswersForm,
    CorrectionForm,
    MergedForm,
    ProjectForm,
    RatingForm,
    StartForm,
    SubmitForm,
    SupplementAnswerForm,
    WithdrawForm,
    new_key,
)
from ..forms.target_dates import target_form
from ..models import Application, Certificate, ReviewTask, SubmittedMaterial, TaskEvent
from ..services import applications as application_services
from ..services import intake, ratings, review
from ..services.certificates import licence_permits_prefetch
from ..services.deadlines import CLOCK_RUNNING, Thresholds, traffic_light

A = Application.Status
T = ReviewTask.Status
SUBMIT = "approvals.submit_application"
PREPARE = "approvals.prepare_application"
WITHDRAWABLE = (A.DRAFT, A.SUBMITTED, A.CORRECTION, A.IN_REVIEW)
FIX_ERRORS = gettext_lazy("请修改下面标出的错误。")
CERTIFICATES_PER_PAGE = 30
# The sections of the edit page that are saved each by its own button, with what their saving says there.
SAVED = {
    "answers": gettext_lazy("情形回答已保存,事项和材料清单已按回答更新。"),
    "form": gettext_lazy("申请表已保存。"),
    "materials": gettext_lazy("材料已保存。"),
    "target": gettext_lazy("日期已保存。"),
}


def applicant_required(view):
    """Signed in, allowed to apply, and acting for an enterprise."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not request.user.has_perm(SUBMIT) or not request.user.enterprise_id:
            raise PermissionDenied(_("企业服务仅供企业申请人使用。"))
        return view(request, *args, **kwargs)

    return login_required(checked)


def editor_required(view):
    """Who edits a draft: an applicant (as `applicant_required`), or an escort specialist on the drafts they
    prepared by help-and-do (the services check each draft: `applications.require_editor`)."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        user = request.user
        if user.has_perm(SUBMIT) and user.enterprise_id:
            return view(request, *args, **kwargs)
        if user.has_perm(PREPARE) and not user.enterprise_id:
            return view(request, *args, **kwargs)
        raise PermissionDenied(_("企业服务仅供企业申请人使用。"))

    return login_required(checked)


def _preparing(user, application) -> bool:
    """Whether `user` works on the draft as the escort specialist who prepared it (not as its enterprise)."""
    return not user.enterprise_id and application.prepared_by_id == user.pk


def _projects(user):
    return Project.objects.for_user(user).filter(enterprise_id=user.enterprise_id)


def _applications(user):
    if not user.enterprise_id:  # an escort specialist: the drafts they prepared
        return Application.objects.for_user(user).filter(prepared_by=user)
    return Application.objects.for_user(user).filter(enterprise_id=user.enterprise_id)


def enterprise_applications(user):
    """The applications of the user's enterprise, newest first, as the portal's home lists them (also
    measured by `make bench`)."""
    return _applications(user).select_related("bundle", "project").order_by("-created_at", "-id")


def _get_application(request, pk) -> Application:
    queryset = _applications(request.user).select_related("bundle__version", "project", "enterprise")
    return fetch_in_scope(queryset, pk)


def _bundles_in_force(user):
    version = CatalogVersion.objects.effective_on(clock.today())
    if version is None:
        return Bundle.objects.none()
    return Bundle.objects.for_user(user).filter(version=version).order_by("name", "code")


def _messages_of(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


# --- home ------------------------------------------------------------------------------------------------


@require_safe
@applicant_required
def portal_home(request):
    user = request.user
    return render(
        request,
        "portal/home.html",
        {
            "enterprise": user.enterprise,
            "projects": _projects(user).order_by("-created_at", "-id"),
            "applications": enterprise_applications(user),
            "unread_count": unread_count(user),
        },
    )


# --- projects --------------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@applicant_required
def portal_project_new(request):
    form = ProjectForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                project = project_services.register_project(
                    request.user, enterprise=request.user.enterprise, **form.cleaned_data
                )
            except ValidationError as error:
                attach_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("项目“%(name)s”已登记。") % {"name": project.name})
                return redirect("approvals:portal_home")
        messages.error(request, FIX_ERRORS)
        return render(request, "portal/project_new.html", {"form": form}, status=400)
    return render(request, "portal/project_new.html", {"form": form})


@require_safe
@applicant_required
def portal_project(request, pk):
    """One project of the enterprise: its facts, its applications with their state, the certificates it holds."""
    project = fetch_in_scope(_projects(request.user), pk)
    return render(
        request,
        "portal/project.html",
        {
            "project": project,
            "applications": _applications(request.user)
            .filter(project=project)
            .select_related("bundle")
            .order_by("-created_at", "-id"),
            "certificates": Certificate.objects.for_user(request.user)
            .filter(project=project)
            .select_related("department", "task__item", "application")
            .prefetch_related(licence_permits_prefetch())
            .order_by("-issued_at", "-pk"),
            **file_context(request.user, project),
        },
    )


@require_safe
@applicant_required
def portal_certificates(request):
    """我的证照: every certificate issued to the enterprise, newest first, a page at a time, each with its
    project, download and verification links."""
    rows = (
        Certificate.objects.for_user(request.user)
        .select_related("department", "task__item", "application", "project")
        .prefetch_related(licence_permits_prefetch())
        .order_by("-issued_at", "-pk")
    )
    page = Paginator(rows, CERTIFICATES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/certificates.html", {"page": page, "certificates": page.object_list})


# --- the wizard: start -------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@applicant_required
def portal_apply(request):
    user = request.user
    projects, bundles = _projects(user).order_by("-created_at", "-id"), _bundles_in_force(user)
    initial = {}
    if request.method != "POST":
        for name in ("project", "bundle"):
            if request.GET.get(name, "").isdigit():
                initial[name] = request.GET[name]
    form = StartForm(request.POST or None, projects=projects, bundles=bundles, initial=initial)
    context = {"form": form, "has_projects": projects.exists(), "has_bundles": bundles.exists()}
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                application = application_services.start_application(
                    user, data["project"], data["bundle"], idempotency_key=data["key"]
                )
            except Http404:
                raise
            except ValidationError as error:
                attach_errors(form, error)
            except ACTION_REFUSALS as error:
                form.add_error(None, refusal_message(error, user))
            else:
                return redirect("approvals:portal_edit", pk=application.pk)
        messages.error(request, FIX_ERRORS)
        return render(request, "portal/apply.html", context, status=400)
    return render(request, "portal/apply.html", context)


# --- the wizard: the draft on one page ------------------------------------------------------------------------


def _notice_rows(application, notice):
    """Each material of the complete notice with how it is provided: held by the platform, produced by an
    item of this application, or to upload (or pledge, where every item that requires it allows)."""
    current = application_services.current_materials(application)
    rows = []
    for entry in notice:
        if entry.held_by_platform:
            way = "held"
        elif entry.produced_by is not None:
            way = "produced"
        else:
            way = "provide"
        rows.append({"entry": entry, "spec": entry.spec, "way": way, "current": current.get(entry.code)})
    return rows


def _draft_context(request, application, *, answers_form=None, merged_form=None, bound=None):
    """Everything the edit page shows: the saved answers, items, checklist, form and materials; `saved`
    (the section just saved, whose message it shows there) and `error_section` (the section whose errors
    it shows)."""
    bundle = application.bundle
    questions = list(bundle.questions.all())
    items, notice, entries = application_services.requirements(application, complete=False)
    if answers_form is None:
        answers_form = AnswersForm(questions=questions, initial=application.answers)
    if merged_form is None:
        merged_form = MergedForm(entries=entries)
    context = {
        "application": application,
        "editable": application.status in application_services.EDITABLE,
        "preparing": _preparing(request.user, application),
        "answers_form": answers_form,
        "items": items,
        "merged_form": merged_form,
        "notice": _notice_rows(application, notice),
        "material_errors": {},
        "submit_errors": [],
        "submit_form": SubmitForm(initial={"key": new_key()}),
        "target_form": target_form(application),  # None unless the bundle asks for a target date
        "saved": "",
        "saved_message": "",
        "error_section": "",
    }
    context.update(bound or {})
    return context


def _render_draft(request, application, status=200, **kwargs):
    context = _draft_context(request, application, **kwargs)
    return render(request, "portal/edit.html", context, status=status)


def _refused_draft(request, application, section, **kwargs):
    """The edit page again (400) with the errors of `section`, said at the top and in the section."""
    messages.error(request, FIX_ERRORS)
    bound = {**kwargs.pop("bound", {}), "error_section": section}
    return _render_draft(request, application, status=400, bound=bound, **kwargs)


def _saved(application, section):
    """Back to the edit page at the section just saved, which says so (the messages at the top of a long
    page would be out of sight)."""
    return redirect(reverse("approvals:portal_edit", args=[application.pk]) + f"?saved={section}#{section}")


@require_safe
@editor_required
def portal_edit(request, pk):
    application = _get_application(request, pk)
    if application.status not in application_services.EDITABLE:
        if _preparing(request.user, application):  # submitted by the enterprise: no longer theirs to edit
            messages.info(request, _("该申请已由企业提交,代办人不能再修改。"))
            return redirect("approvals:project", pk=application.project_id)
        return redirect("approvals:portal_application", pk=application.pk)
    saved = request.GET.get("saved", "")
    if saved not in SAVED:
        return _render_draft(request, application)
    return _render_draft(request, application, bound={"saved": saved, "saved_message": SAVED[saved]})


def _refused(request, application, error) -> object:
    messages.error(request, refusal_message(error, request.user))
    return redirect("approvals:portal_application", pk=application.pk)


@post_only("approvals:portal_edit", "pk", anchor="#answers")
@editor_required
def portal_save_answers(request, pk):
    application = _get_application(request, pk)
    form = AnswersForm(request.POST, questions=list(application.bundle.questions.all()))
    if form.is_valid():
        try:
            application_services.save_answers(request.user, application, form.answers())
        except ValidationError as error:
            attach_errors(form, error)
        except ACTION_REFUSALS as error:
            return _refused(request, application, error)
        else:
            return _saved(application, "answers")
    return _refused_draft(request, application, "answers", answers_form=form)


@post_only("approvals:portal_edit", "pk", anchor="#form")
@editor_required
def portal_save_form(request, pk):
    application = _get_application(request, pk)
    _items, _notice, entries = application_services.requirements(application, complete=False)
    form = MergedForm(request.POST, entries=entries)
    if form.is_valid():
        try:
            application_services.save_form(request.user, application, form.changes(application.form_data))
        except ValidationError as error:
            attach_errors(form, error)
        except ACTION_REFUSALS as error:
            return _refused(request, application, error)
        else:
            return _saved(application, "form")
    return _refused_draft(request, application, "form", merged_form=form)


def _provide_materials(request, application, codes) -> dict[str, list[str]]:
    """Upload the files and record the pledges posted for `codes` (`file-<code>`, `pledge-<code>`); returns
    {code: [errors]} of those the services refused. Each material is its own transaction: what succeeded
    stays saved."""
    errors = {}
    for code in codes:
        uploaded = request.FILES.get(f"file-{code}")
        try:
            if uploaded is not None:
                application_services.upload_material(request.user, application, code, uploaded)
            elif request.POST.get(f"pledge-{code}"):
                application_services.pledge_material(request.user, application, code)
        except ValidationError as error:
            errors[code] = _messages_of(error)
    return errors


@post_only("approvals:portal_edit", "pk", anchor="#materials")
@editor_required
def portal_save_materials(request, pk):
    application = _get_application(request, pk)
    _items, notice, _entries = application_services.requirements(application, complete=False)
    try:
        errors = _provide_materials(request, application, [entry.code for entry in notice])
    except ACTION_REFUSALS as error:
        return _refused(request, application, error)
    if errors:
        return _refused_draft(request, application, "materials", bound={"material_errors": errors})
    return _saved(application, "materials")


def _labelled_errors(application, error: ValidationError) -> list[str]:
    """The submission's refusals ("answers.x", "form.x", "materials.x") as sentences for the review step."""
    if not hasattr(error, "error_dict"):
        return _messages_of(error)
    labels = {}
    for question in application.bundle.questions.all():
        labels[f"answers.{question.code}"] = _("情形问题“%(name)s”") % {"name": question.display_text}
    for form_field in application.bundle.form_fields.all():
        labels[f"form.{form_field.code}"] = _("申请表“%(name)s”") % {"name": form_field.display_label}
    result = []
    for key, problems in error.message_dict.items():
        label = labels.get(key, "")
        for problem in problems:
            result.append(f"{label}:{problem}" if label and not key.startswith("materials.") else problem)
    return result


def _submit(request, application, key):
    """Submit (or resubmit) with `key`; returns None on success, else the list of problems."""
    try:
        application_services.submit_application(request.user, application, idempotency_key=key)
    except ValidationError as error:
        return _labelled_errors(application, error)
    return None


@post_only("approvals:portal_edit", "pk", anchor="#review")
@applicant_required
def portal_submit(request, pk):
    application = _get_application(request, pk)
    form = SubmitForm(request.POST)
    key = form.cleaned_data["key"] if form.is_valid() else ""
    if not key:
        messages.error(request, _("提交表单已失效,请重新提交。"))
        return redirect("approvals:portal_edit", pk=application.pk)
    try:
        problems = _submit(request, application, key)
    except ACTION_REFUSALS as error:
        return _refused(request, application, error)
    if problems:
        messages.error(request, _("申请尚不完整,请按下列提示补全后再提交。"))
        bound = {"submit_errors": problems, "error_section": "review"}
        return _render_draft(request, application, status=400, bound=bound)
    application.refresh_from_db()
    messages.success(
        request, _("申请已提交,办件编号 %(number)s,请等待窗口受理。") % {"number": application.number}
    )
    return redirect("approvals:portal_application", pk=application.pk)


# --- an application's progress, notices, certificates, rating and withdrawal ----------------------------


def _working_days_left(calendar, today, deadline) -> int:
    """`working_days_between(today, deadline)`, counted on `calendar`: the application's tasks share one read
    of the calendar's overrides (the function reads them again on every call)."""
    first, last = sorted((today, deadline))
    calendar.ensure(first + ONE_DAY, max(last, first + ONE_DAY))
    days = sum(calendar.is_working_day(first + ONE_DAY * n) for n in range(1, (last - first).days + 1))
    return days if deadline >= today else -days


def _task_rows(application, today):
    """Each task with its light and working days left: the thresholds and the calendar read once for all the
    tasks, so the page's statements do not grow with its tasks."""
    tasks = list(
        application.tasks.select_related("item", "department", "assignee").order_by(
            "department__name", "item__code"
        )
    )
    counted = [
        task
        for task in tasks
        if task.is_open and task.promised_deadline is not None and task.status != T.SUPPLEMENT
    ]
    limits, calendar = None, WorkingCalendar()
    if counted:  # the whole span read at once, not grown deadline by deadline
        days = [today, *(task.promised_deadline for task in counted)]
        calendar.ensure(min(days) + ONE_DAY, max(max(days), min(days) + ONE_DAY))
    rows = []
    for task in tasks:
        left = None
        if task in counted:
            left = _working_days_left(calendar, today, task.promised_deadline)
        if limits is None and task.status in CLOCK_RUNNING and task.promised_deadline is not None:
            limits = Thresholds.on(today)
        rows.append(
            {
                "task": task,
                "light": traffic_light(task, limits or today),
                "days_left": left,
                "days_overdue": -left if left is not None and left < 0 else None,
            }
        )
    return rows


def _supplement_rows(request, application, bound=None):
    """The tasks paused for a supplement, each with its request and a form to answer it (and the
    materials of its item, which may be uploaded with the answer)."""
    bound = bound or {}
    rows = []
    for task in application.tasks.filter(status=T.SUPPLEMENT).select_related("item", "department"):
        request_event = (
            task.events.filter(kind=TaskEvent.Kind.SUPPLEMENT_REQUEST).order_by("-created_at", "-pk").first()
        )
        specs = [
            use.material
            for use in ItemMaterial.objects.filter(item_id=task.item_id)
            .select_related("material")
            .order_by("material__code")
        ]
        form = bound.get(task.pk) or SupplementAnswerForm(task_pk=task.pk)
        rows.append({"task": task, "request": request_event, "specs": specs, "form": form})
    return rows


def _gap_rows(application, today):
    """The materials accepted as tolerated gaps (容缺), each with whether the applicant may supply it now:
    while the gap is open or the window returned what was supplied; not while the window checks it."""
    if application.status != A.IN_REVIEW:
        return []
    V = SubmittedMaterial.Verdict
    gaps = [
        material
        for material in application_services.current_materials(application).values()
        if material.gap_due_date is not None and material.verdict != V.ACCEPTED
    ]
    return [
        {
            "material": material,
            "spec": material.spec,
            "open": material.verdict in (V.TOLERATED, V.REJECTED),
            "overdue": material.verdict == V.TOLERATED and material.gap_due_date < today,
        }
        for material in sorted(gaps, key=lambda material: (material.gap_due_date, material.spec.code))
    ]


def _open_correction(application):
    return application.correction_notices.filter(answered_at__isnull=True).order_by("-issued_at").first()


def _correction_rows(application, notice):
    """The problems of the open correction notice, with the material each names (to upload again)."""
    if notice is None:
        return []
    specs = {}
    if any(problem.get("material") for problem in notice.problems):
        _items, entries, _form = application_services.requirements(application, complete=False)
        specs = {entry.code: entry.spec for entry in entries}
    return [
        {
            "problem": problem["problem"],
            "code": problem.get("material") or "",
            "spec": specs.get(problem.get("material")),
        }
        for problem in notice.problems
    ]


def _render_application(request, application, status=200, **bound):
    user = request.user
    today = clock.today()
    correction = _open_correction(application) if application.status == A.CORRECTION else None
    rated = getattr(application, "rating", None)  # the reverse one-to-one raises an AttributeError if none
    context = {
        "application": application,
        "editable": application.status in application_services.EDITABLE,
        "preparing": _preparing(request.user, application),
        "tasks": _task_rows(application, today),
        "correction": correction,
        "correction_rows": _correction_rows(application, correction),
        "correction_form": CorrectionForm(initial={"key": new_key()}),
        "correction_errors": bound.get("correction_errors", {}),
        "correction_problems": bound.get("correction_problems", []),
        "past_corrections": application.correction_notices.exclude(
            pk=getattr(correction, "pk", None)
        ).order_by("-issued_at"),
        "supplements": _supplement_rows(request, application, bound.get("supplement_forms")),
        "gaps": _gap_rows(application, today),
        "gap_errors": bound.get("gap_errors", {}),
        "supplement_errors": bound.get("supplement_errors", {}),
        "certificates": Certificate.objects.for_user(user)
        .filter(application=application)
        .select_related("task__item")
        .prefetch_related(licence_permits_prefetch())
        .order_by("issued_at", "pk"),
        # Issued but not yet handed out by the window (窗口统一出件): how many, not the documents.
        "certificates_waiting": (
            0
            if application.status == A.DELIVERED
            else Certificate.objects.filter(application=application).count()
        ),
        "delivery": getattr(application, "delivery", None) if application.status == A.DELIVERED else None,
        "rating": rated,
        "rating_problem": ratings.problem_of(rated),
        "rating_form": bound.get("rating_form")
        or (RatingForm() if application.status in ratings.RATEABLE_STATUSES and rated is None else None),
        "withdrawable": application.status in WITHDRAWABLE,
    }
    return render(request, "portal/application.html", context, status=status)


@require_safe
@applicant_required
def portal_application(request, pk):
    return _render_application(request, _get_application(request, pk))


@post_only("approvals:portal_application", "pk", anchor="#correction")
@applicant_required
def portal_correction(request, pk):
    """Answer the correction notice: upload again the materials it names, then resubmit with a new key."""
    application = _get_application(request, pk)
    form = CorrectionForm(request.POST)
    key = form.cleaned_data["key"] if form.is_valid() else ""
    if not key:
        messages.error(request, _("提交表单已失效,请重新提交。"))
        return redirect("approvals:portal_application", pk=application.pk)
    notice = _open_correction(application) if application.status == A.CORRECTION else None
    codes = [row["code"] for row in _correction_rows(application, notice) if row["code"]]
    try:
        errors = _provide_materials(request, application, codes)
        problems = [] if errors else _submit(request, application, key)
    except ACTION_REFUSALS as error:
        return _refused(request, application, error)
    if errors or problems:
        messages.error(request, _("补正尚未完成,请按提示修改后再提交。"))
        application = _get_application(request, pk)
        return _render_application(
            request, application, status=400, correction_errors=errors, correction_problems=problems or []
        )
    messages.success(request, _("补正材料已提交,请等待窗口重新受理。"))
    return redirect("approvals:portal_application", pk=application.pk)


@post_only("approvals:portal_application", "pk")
@applicant_required
def portal_supplement(request, pk, task_pk):
    """Answer a department's supplement request, with files for the item's materials if any."""
    application = _get_application(request, pk)
    task = fetch_in_scope(ReviewTask.objects.for_user(request.user).filter(application=application), task_pk)
    form = SupplementAnswerForm(request.POST, task_pk=task.pk)
    if form.is_valid():
        files = {
            name.removeprefix(f"supplement{task.pk}-file-"): uploaded
            for name, uploaded in request.FILES.items()
            if name.startswith(f"supplement{task.pk}-file-")
        }
        try:
            review.answer_supplement(request.user, task, form.cleaned_data["text"], files)
        except Http404:
            raise
        except ValidationError as error:
            attach_errors(form, error)
        except ACTION_REFUSALS as error:
            return _refused(request, application, error)
        else:
            messages.success(request, _("补充材料已提交,审批时限恢复计算。"))
            return redirect("approvals:portal_application", pk=application.pk)
    messages.error(request, FIX_ERRORS)
    return _render_application(request, application, status=400, supplement_forms={task.pk: form})


@post_only("approvals:portal_application", "pk", anchor="#gaps")
@applicant_required
def portal_supply_gap(request, pk, code):
    """Supply a material the window accepted as a tolerated gap (容缺后补); the window then checks it."""
    application = _get_application(request, pk)
    uploaded = request.FILES.get(f"gap-{code}")
    try:
        if uploaded is None:
            raise ValidationError(_("请选择要上传的文件。"), code="required")
        intake.supply_tolerated_material(request.user, application, code, uploaded)
    except ValidationError as error:
        problems = _messages_of(error)
        if any(row["spec"].code == code for row in _gap_rows(application, clock.today())):
            messages.error(request, FIX_ERRORS)
        else:  # no such gap on the page to show the error at
            for problem in problems:
                messages.error(request, problem)
        return _render_application(request, application, status=400, gap_errors={code: problems})
    except ACTION_REFUSALS as error:
        return _refused(request, application, error)
    messages.success(request, _("材料已保存。"))
    return redirect(reverse("approvals:portal_application", args=[application.pk]) + "#gaps")


@post_only("approvals:portal_application", "pk", anchor="#rating")
@applicant_required
def portal_rate(request, pk):
    application = _get_application(request, pk)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            ratings.rate_application(
                request.user, application, form.cleaned_data["score"], form.cleaned_data["comment"]
            )
        except ValidationError as error:
            attach_errors(form, error)
        except ACTION_REFUSALS as error:
            return _refused(request, application, error)
        else:
            messages.success(request, _("感谢您的评价。"))
            return redirect("approvals:portal_application", pk=application.pk)
    messages.error(request, FIX_ERRORS)
    return _render_application(request, application, status=400, rating_form=form)


def _render_withdraw(request, application, form=None, status=200):
    if form is None:
        form = WithdrawForm(initial={"expected_status": application.status})
    return render(
        request,
        "portal/withdraw.html",
        {"application": application, "form": form, "tasks": _task_rows(application, clock.today())},
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@applicant_required
def portal_withdraw(request, pk):
    """Withdrawing is a step of its own: a page that says what withdrawing ends and asks for the reason,
    then the confirmation posted from it (no script needed)."""
    application = _get_application(request, pk)
    if application.status not in WITHDRAWABLE and request.method != "POST":
        messages.error(
            request,
            _("办件当前状态为“%(state)s”,不能撤回。") % {"state": application.get_status_display()},
        )
        return redirect("approvals:portal_application", pk=application.pk)
    if request.method != "POST":
        return _render_withdraw(request, application)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            application_services.withdraw_application(
                request.user,
                application,
                form.cleaned_data["reason"],
                expected_status=form.cleaned_data["expected_status"],
            )
        except ValidationError as error:
            attach_errors(form, error)
        except ACTION_REFUSALS as error:
            return _refused(request, application, error)
        else:
            messages.success(request, _("申请已撤回。"))
            return redirect("approvals:portal_application", pk=application.pk)
    messages.error(request, FIX_ERRORS)
    return _render_withdraw(request, application, form, status=400)


urlpatterns = [
    path("", portal_home, name="portal_home"),
    path("projects/new/", portal_project_new, name="portal_project_new"),
    path("certificates/", portal_certificates, name="portal_certificates"),
    path("projects/<int:pk>/", portal_project, name="portal_project"),
    path("apply/", portal_apply, name="portal_apply"),
    path("applications/<int:pk>/", portal_application, name="portal_application"),
    path("applications/<int:pk>/edit/", portal_edit, name="portal_edit"),
    path("applications/<int:pk>/edit/answers/", portal_save_answers, name="portal_save_answers"),
    path("applications/<int:pk>/edit/form/", portal_save_form, name="portal_save_form"),
    path("applications/<int:pk>/edit/materials/", portal_save_materials, name="portal_save_materials"),
    path("applications/<int:pk>/submit/", portal_submit, name="portal_submit"),
    path("applications/<int:pk>/correction/", portal_correction, name="portal_correction"),
    path(
        "applications/<int:pk>/tasks/<int:task_pk>/supplement/",
        portal_supplement,
        name="portal_supplement",
    ),
    path("applications/<int:pk>/gaps/<slug:code>/", portal_supply_gap, name="portal_supply_gap"),
    path("applications/<int:pk>/rate/", portal_rate, name="portal_rate"),
    path("applications/<int:pk>/withdraw/", portal_withdraw, name="portal_withdraw"),
]
