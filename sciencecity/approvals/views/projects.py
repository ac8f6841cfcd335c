"""The civil servants' project page (项目信息): one project's facts, its enterprise, the project file
(warning, schedule, escort, reports, problems: `projects.views.file_context`), the applications of the
project that the viewer may read with their state, and its certificates; and help-and-do, where an escort
specialist starts a draft for the consenting enterprise.

Everyone who sees projects (`Project.objects.for_user`: the zone's civil servants) may open it; the
applications and certificates on it are those of `Application.objects.for_user` and
`Certificate.objects.for_user`, so a department reviewer sees only the applications in which their
department has a task and the certificates their department issued. A project outside the user's scope
answers 404; an applicant, whose scope is their own enterprise's projects, is sent to the portal's page of
the project. The page only reads and runs a fixed number of queries however many rows it shows.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from sciencecity.accounts.scoping import is_civil_servant, sees_everything
from sciencecity.catalog.models import Bundle, CatalogVersion
from sciencecity.projects.models import Project
from sciencecity.projects.services import escort
from sciencecity.projects.views import file_context
from sciencecity.workdays import clock
from sciencecity.workflow.errors import ACTION_REFUSALS, attach_errors, fetch_in_scope, refusal_message

from ..models import Application, Certificate, ReviewTask
from ..services import help as help_services

VIEW = "approvals.view_application"
INTAKE = "approvals.intake_application"
REVIEW = "approvals.review_task"


def _link_applications(user, applications) -> bool:
    """Give each application the page this user works on it in (`page_url`, empty when none) and, for a
    department's reviewers and heads, their department's tasks in it (`own_tasks`); True when the rows
    show those tasks."""
    if user.has_perm(VIEW) and sees_everything(user):
        for application in applications:
            application.page_url = reverse("approvals:leaders_application", args=[application.pk])
        return False
    if user.has_perm(INTAKE):
        for application in applications:
            application.page_url = reverse("approvals:window_intake", args=[application.pk])
        return False
    if not (user.has_perm(REVIEW) and user.department_id):
        for application in applications:
            application.page_url = ""
        return False
    tasks = {}
    for task in (
        ReviewTask.objects.for_user(user)
        .filter(application__in=[application.pk for application in applications])
        .filter(department_id=user.department_id)
        .select_related("item")
        .order_by("item__code", "pk")
    ):
        tasks.setdefault(task.application_id, []).append(task)
    for application in applications:
        application.own_tasks = tasks.get(application.pk, [])
        first = application.own_tasks[0] if application.own_tasks else None
        application.page_url = reverse("approvals:department_task", args=[first.pk]) if first else ""
    return True


@require_safe
@login_required
def project_page(request, pk):
    user = request.user
    project = fetch_in_scope(Project.objects.for_user(user).select_related("enterprise"), pk)
    if not is_civil_servant(user):
        # An applicant's scope is their enterprise's projects; the portal shows them as the enterprise sees them.
        return redirect("approvals:portal_project", pk=project.pk)
    applications = list(
        Application.objects.for_user(user)
        .filter(project=project)
        .select_related("bundle")
        .order_by("-created_at", "-id")
    )
    show_tasks = _link_applications(user, applications)
    certificates = (
        Certificate.objects.for_user(user)
        .filter(project=project)
        .select_related("department", "task__item")
        .order_by("-issued_at", "-pk")
    )
    return render(
        request,
        "projects/project.html",
        {
            "project": project,
            "enterprise": project.enterprise,
            "applications": applications,
            "show_tasks": show_tasks,
            "certificates": certificates,
            **file_context(user, project),
        },
    )


class HelpForm(forms.Form):
    bundle = forms.TypedChoiceField(label=gettext_lazy("一件事"), coerce=int)
    note = forms.CharField(label=gettext_lazy("说明"), max_length=500, required=False)

    def __init__(self, *args, bundles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bundle"].choices = [(bundle.pk, bundle.display_name) for bundle in bundles]


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def help_prepare(request, pk):
    """Help-and-do (帮办代办): an escort specialist picks the bundle and starts the draft for the consenting
    enterprise, then fills it on the portal's draft pages; the enterprise submits it."""
    user = request.user
    project = fetch_in_scope(Project.objects.for_user(user).select_related("enterprise"), pk)
    version = CatalogVersion.objects.effective_on(clock.today())
    bundles = (
        Bundle.objects.for_user(user).filter(version=version).order_by("name", "code") if version else []
    )
    form = HelpForm(request.POST or None, bundles=bundles)
    if request.method == "POST" and form.is_valid():
        try:
            application = help_services.prepare_application(
                user, project, form.cleaned_data["bundle"], note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            attach_errors(form, error)
        except ACTION_REFUSALS as error:
            messages.error(request, refusal_message(error, user))
            return redirect("approvals:project", pk=project.pk)
        else:
            messages.success(
                request, _("申请草稿已建立,企业已收到通知。请填写情形、表单和材料,完成后由企业提交。")
            )
            return redirect("approvals:portal_edit", pk=application.pk)
    status = 400 if request.method == "POST" else 200
    context = {"project": project, "form": form, "consent": escort.consent_in_force(project)}
    return render(request, "projects/help.html", context, status=status)


urlpatterns = [
    path("<int:pk>/", project_page, name="project"),
    path("<int:pk>/prepare/", help_prepare, name="help_prepare"),
]
