"""The pages of key projects (重点项目): the list by warning colour, task force and escort team; the monthly
report and the service log on a phone; and the actions of the project file, whose sections the project pages
show (`file_context`, included by the staff page `approvals:project` and the enterprise's
`approvals:portal_project`).

Every project is read through `Project.objects.for_user()` (outside the scope: 404); every change goes through
`services`, whose refusals come back as messages or form errors, never as a server error.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from sciencecity.accounts.scoping import is_civil_servant
from sciencecity.problems.models import Problem, ProblemCategory
from sciencecity.workflow.errors import (
    ACTION_REFUSALS,
    attach_errors,
    fetch_in_scope,
    post_only,
    refusal_message,
)
from sciencecity.workflow.paging import page_of, shown_count

from . import campaign_views, forms, mass_start_selectors, mass_start_views, selectors
from .models import EscortMember, Level, Project, ServiceLog
from .services import escort, findings, inspections, registry, reports, schedule, warnings

app_name = "projects"
PAGE_SIZE = 25
CHANGE = "projects.change_project"


def _project(request, pk) -> Project:
    return fetch_in_scope(Project.objects.for_user(request.user).select_related("enterprise"), pk)


def project_page_url(user, project, anchor: str = "") -> str:
    """The project's page this reader works on: the enterprise's portal page, or the staff page."""
    own = user.enterprise_id and user.enterprise_id == project.enterprise_id
    name = "approvals:portal_project" if own else "approvals:project"
    return reverse(name, args=[project.pk]) + (f"#{anchor}" if anchor else "")


def _may_change(user, project) -> bool:
    return user.has_perm(CHANGE) and (is_civil_servant(user) or user.enterprise_id == project.enterprise_id)


# --- the project file's sections ------------------------------------------------------------------------------


def file_context(user, project: Project) -> dict:
    """What the project pages show of the project file, and what this reader may do there."""
    plan = selectors.schedule_of(project)
    role = escort.role_of(user, project)
    own = bool(user.enterprise_id and user.enterprise_id == project.enterprise_id)
    consent = selectors.consent_of(project)
    may_change = _may_change(user, project)
    context = {
        "reasons": warnings.reasons_of(project),
        "schedule": plan,
        "timeline": selectors.timeline_data(plan.rows),
        "team": selectors.team_of(project),
        "consent": consent,
        "escort_role": role,
        "logs": list(selectors.service_logs(project)[:10]),
        "reports": list(selectors.reports_of(project)[:6]),
        "project_problems": list(
            Problem.objects.for_user(user)
            .filter(project=project)
            .select_related("category", "department")
            .order_by("-reported_at", "-id")[:10]
        ),
        "notes": list(selectors.supervision_notes(user, project)[:10]),
        "inspections": list(selectors.inspections_of(project)[:10]),
        "places": list(selectors.places_of(user, project)[:6]),
        "mass_start": mass_start_selectors.entry_of(project),
        "may_inspect": user.has_perm(inspections.INSPECT),
        "may_change": may_change,
        "may_report": own and user.has_perm(CHANGE),
        "may_log": role is not None or own,
        "may_help": role in escort.HELPERS
        and consent is not None
        and user.has_perm("approvals.prepare_application"),
        "may_consent": own and user.has_perm(CHANGE),
        "may_manage_team": user.has_perm(escort.MANAGE),
        "may_supervise": user.has_perm(escort.SUPERVISE),
    }
    if may_change:
        context["milestone_form"] = forms.MilestoneForm(kinds=plan.kinds, stages=plan.stages)
        context["stage_form"] = forms.StageForm()
        context["plan_form"] = forms.PlanForm()
        context["phase_form"] = forms.PhaseForm(initial={"phase": project.phase})
    if context["may_consent"]:
        context["consent_form"] = forms.ConsentForm()
    if context["may_manage_team"]:
        context["member_form"] = forms.MemberForm()
    if context["may_supervise"]:
        context["note_form"] = forms.NoteForm()
    return context


# --- the list of key projects ---------------------------------------------------------------------------------


@require_safe
@login_required
def key_projects(request):
    """Key projects by warning colour, task force, or those the reader escorts; reddest first."""
    user = request.user
    if not is_civil_servant(user):
        raise PermissionDenied(_("重点项目清单供机关工作人员使用。"))
    form = forms.KeyProjectFilter(request.GET or None, task_forces=selectors.task_forces())
    filters = form.cleaned_data if form.is_valid() else {}
    projects = selectors.listed_key_projects(user, filters).select_related("enterprise")
    counts = selectors.level_counts(projects)
    if filters.get("level"):
        projects = projects.filter(warning_level=filters["level"])
    # Reddest first (by the database's own `warning_order`), newest first within a colour.
    order = ("-created_at", "-id") if filters.get("level") else ("warning_order", "-created_at", "-id")
    page = page_of(request, projects.order_by(*order), PAGE_SIZE)
    leads = {
        member.project_id: member.user
        for member in EscortMember.objects.filter(
            project__in=[p.pk for p in page["rows"]], role=EscortMember.Role.LEAD
        ).select_related("user")
    }
    for project in page["rows"]:
        project.lead = leads.get(project.pk)
        project.reasons = warnings.reasons_of(project)
    query = request.GET.copy()
    query.pop("level", None)
    query.pop("page", None)
    return render(
        request,
        "projects/key_projects.html",
        {
            "form": form,
            "page": page,
            "counts": [(level, Level(level).label, shown_count(counts[level])) for level in selectors.LEVELS],
            "level": filters.get("level") or "",
            "base_query": query.urlencode(),
        },
    )


# --- the monthly report and the service log (phone-sized pages) --------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def report_page(request, pk):
    project = _project(request, pk)
    user = request.user
    if not (user.enterprise_id == project.enterprise_id and user.has_perm(CHANGE)):
        raise PermissionDenied(_("月报由项目单位报送。"))
    last = project.reports.order_by("-month").first()
    form = forms.ReportForm(request.POST or None, last=last)
    if request.method == "POST" and form.is_valid():
        raised = _raised(form)
        if form.is_valid():
            try:
                report = reports.submit_report(
                    user,
                    project,
                    form.cleaned_data["month"],
                    investment=form.cleaned_data["investment"],
                    progress_percent=form.cleaned_data["progress_percent"],
                    progress_text=form.cleaned_data["progress_text"],
                    workforce=form.cleaned_data["workforce"],
                    photos=request.FILES.getlist("photos"),
                    problems=raised,
                )
            except ValidationError as error:
                _attach_report_errors(form, error)
            except ACTION_REFUSALS as error:
                messages.error(request, refusal_message(error, user))
            else:
                messages.success(
                    request,
                    _("%(month)s 月报已报送。") % {"month": f"{report.month:%Y-%m}"}
                    + (_("反映的 %(n)s 个问题已转入问题闭环办理。") % {"n": len(raised)} if raised else ""),
                )
                return redirect(project_page_url(user, project, "reports"))
    status = 400 if request.method == "POST" else 200
    context = {"project": project, "form": form, "report_day": warnings.report_day()}
    return render(request, "projects/report.html", context, status=status)


def _raised(form) -> list:
    """The problems met that the form's rows name (an unknown category is the row's error)."""
    raised = []
    for n, code, title, description in form.raised():
        category = ProblemCategory.objects.reportable().filter(code=code).first()
        if category is None:
            form.add_error(f"problem_{n}_category", _("请选择问题类别。"))
            continue
        raised.append(findings.RaisedProblem(category, title, description))
    return raised


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def inspection_page(request, pk):
    """An inspector records a quality or safety inspection on site, with the findings."""
    project = _project(request, pk)
    user = request.user
    if not user.has_perm(inspections.INSPECT):
        raise PermissionDenied(_("只有质量安全检查人员可以记录检查。"))
    form = forms.InspectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        raised = _raised(form)
        if form.is_valid():
            data = form.cleaned_data
            try:
                inspection = inspections.record_inspection(
                    user,
                    project,
                    data["kind"],
                    data["score"],
                    data["summary"],
                    inspected_on=data["inspected_on"],
                    problems=raised,
                )
            except ValidationError as error:
                _attach_report_errors(form, error)
            except ACTION_REFUSALS as error:
                messages.error(request, refusal_message(error, user))
            else:
                messages.success(
                    request,
                    _("检查已记录,发现的 %(n)s 个问题已转入问题闭环办理。")
                    % {"n": inspection.problems.count()},
                )
                return redirect(project_page_url(user, project, "inspections"))
    status = 400 if request.method == "POST" else 200
    return render(request, "projects/inspection.html", {"project": project, "form": form}, status=status)


def _attach_report_errors(form, error: ValidationError) -> None:
    """The service names a raised problem's fields `problems.<n>.<field>`; the form `problem_<n>_<field>`."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        if name.startswith("problems."):
            _prefix, n, field = (name.split(".") + ["", ""])[:3]
            name = f"problem_{n}_{field}"
        form.add_error(name if name in form.fields else None, errors)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def service_page(request, pk):
    """The team records a service; the project's enterprise evaluates the escort."""
    project = _project(request, pk)
    user = request.user
    role = escort.role_of(user, project)
    own = user.enterprise_id == project.enterprise_id
    if role is None and not own:
        raise PermissionDenied(_("只有本项目护航团队的成员可以记录护航服务。"))
    kinds = [ServiceLog.Kind.EVALUATION] if own else list(escort.TEAM_KINDS)
    problems = (
        Problem.objects.for_user(user)
        .filter(project=project)
        .exclude(status__in=("closed", "merged", "dismissed"))
    )
    form = forms.ServiceForm(
        request.POST or None, kinds=kinds, problems=problems.order_by("-reported_at")[:50]
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            escort.log_service(
                user,
                project,
                data["kind"],
                data["note"],
                served_on=data["served_on"],
                problem=data.get("problem"),
                score=data.get("score"),
            )
        except ValidationError as error:
            attach_errors(form, error)
        except ACTION_REFUSALS as error:
            messages.error(request, refusal_message(error, user))
        else:
            messages.success(request, _("护航服务已记录。"))
            return redirect(project_page_url(user, project, "escort"))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "projects/service.html",
        {"project": project, "form": form, "evaluation": own},
        status=status,
    )


# --- actions of the project file (POST from the project pages) ----------------------------------------------------


def _act(request, project, anchor: str, form, perform, done: str):
    """Validate `form`, run `perform(cleaned_data)`, and go back to the project page at `anchor` with a
    message: what was done, or why not (nothing changed)."""
    if form.is_valid():
        try:
            perform(form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
        except ACTION_REFUSALS as error:
            messages.error(request, refusal_message(error, request.user))
            return redirect(project_page_url(request.user, project, anchor))
        else:
            messages.success(request, done)
            return redirect(project_page_url(request.user, project, anchor))
    problems = [str(message) for errors in form.errors.values() for message in errors]
    messages.error(request, _("未保存:%(errors)s") % {"errors": ";".join(problems)})
    return redirect(project_page_url(request.user, project, anchor))


def _action(anchor: str):
    """A POST-only action of the project file (a GET of its address shows the project page at `anchor`)."""

    def decorator(view):
        return post_only("approvals:project", "pk", anchor=f"#{anchor}")(login_required(view))

    return decorator


@_action("schedule")
def set_milestone(request, pk):
    project = _project(request, pk)
    plan = selectors.schedule_of(project)
    form = forms.MilestoneForm(request.POST, kinds=plan.kinds, stages=plan.stages)

    def perform(data):
        schedule.set_milestone(
            request.user,
            project,
            data["kind"],
            stage=data.get("stage"),
            planned_on=data.get("planned_on"),
            actual_on=data.get("actual_on"),
        )
        warnings.refresh([project.pk])

    return _act(request, project, "schedule", form, perform, _("里程碑日期已保存。"))


@_action("schedule")
def add_stage(request, pk):
    project = _project(request, pk)
    form = forms.StageForm(request.POST)
    return _act(
        request,
        project,
        "schedule",
        form,
        lambda data: schedule.add_stage(request.user, project, data["name"]),
        _("分期已增加。"),
    )


@_action("schedule")
def set_plan(request, pk):
    project = _project(request, pk)
    form = forms.PlanForm(request.POST)

    def perform(data):
        schedule.set_plan(
            request.user, project, data["year"], data["category"], data["planned"], data["goal"]
        )
        warnings.refresh([project.pk])

    return _act(request, project, "schedule", form, perform, _("年度计划已保存。"))


@_action("schedule")
def change_phase(request, pk):
    project = _project(request, pk)
    form = forms.PhaseForm(request.POST)
    return _act(
        request,
        project,
        "schedule",
        form,
        lambda data: registry.change_project_phase(
            request.user, project, data["phase"], on=data.get("on"), note=data.get("note", "")
        ),
        _("项目阶段已变更。"),
    )


@_action("escort")
def grant_consent(request, pk):
    project = _project(request, pk)
    form = forms.ConsentForm(request.POST)
    return _act(
        request,
        project,
        "escort",
        form,
        lambda data: escort.grant_consent(request.user, project, data["scope"], data.get("valid_until")),
        _("已授权护航团队帮办代办;每份申请仍由贵单位核对后自行提交。"),
    )


@_action("escort")
def revoke_consent(request, pk):
    project = _project(request, pk)
    form = Form(request.POST)
    return _act(
        request,
        project,
        "escort",
        form,
        lambda data: escort.revoke_consent(request.user, project),
        _("帮办代办授权已撤回。"),
    )


@_action("escort")
def set_member(request, pk):
    project = _project(request, pk)
    form = forms.MemberForm(request.POST)
    return _act(
        request,
        project,
        "escort",
        form,
        lambda data: escort.set_member(request.user, project, data["user"], data["role"], data["duty"]),
        _("护航团队已更新。"),
    )


@_action("escort")
def remove_member(request, pk, user_pk):
    project = _project(request, pk)
    form = Form(request.POST)
    return _act(
        request,
        project,
        "escort",
        form,
        lambda data: escort.remove_member(request.user, project, user_pk),
        _("已移出护航团队。"),
    )


@_action("supervision")
def add_note(request, pk):
    project = _project(request, pk)
    form = forms.NoteForm(request.POST)
    return _act(
        request,
        project,
        "supervision",
        form,
        lambda data: escort.add_supervision_note(request.user, project, data["text"]),
        _("监督记录已保存。"),
    )


urlpatterns = [
    path("", key_projects, name="key_projects"),
    *mass_start_views.urlpatterns,
    path("campaigns/", campaign_views.campaign_list, name="campaigns"),
    path("campaigns/<int:pk>/", campaign_views.campaign_page, name="campaign"),
    path("campaigns/<int:pk>/rules/", campaign_views.set_rules, name="campaign_rules"),
    path("campaigns/<int:pk>/rounds/<int:number>/", campaign_views.round_page, name="round"),
    path("campaigns/<int:pk>/rounds/<int:number>/score/", campaign_views.score_round, name="round_score"),
    path(
        "campaigns/<int:pk>/rounds/<int:number>/publish/", campaign_views.publish_round, name="round_publish"
    ),
    path("<int:pk>/report/", report_page, name="report"),
    path("<int:pk>/service/", service_page, name="service"),
    path("<int:pk>/inspection/", inspection_page, name="inspection"),
    path("<int:pk>/milestone/", set_milestone, name="milestone"),
    path("<int:pk>/stage/", add_stage, name="stage"),
    path("<int:pk>/plan/", set_plan, name="plan"),
    path("<int:pk>/phase/", change_phase, name="phase"),
    path("<int:pk>/consent/", grant_consent, name="consent"),
    path("<int:pk>/consent/revoke/", revoke_consent, name="consent_revoke"),
    path("<int:pk>/team/", set_member, name="member"),
    path("<int:pk>/team/<int:user_pk>/remove/", remove_member, name="member_remove"),
    path("<int:pk>/supervision/", add_note, name="note"),
]
