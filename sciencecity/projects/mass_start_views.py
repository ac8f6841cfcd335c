"""The pages of mass starts (集中开工): the events (project specialists and administrators record one there), an
event with its projects, their investment and its breakdown by type and district, where its projects are added
or taken out, and its photo. Every signed-in person reads the events and their totals; the projects listed are
those of the reader's project scope. Every change goes through `services.mass_starts`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from sciencecity.accounts.scoping import is_civil_servant
from sciencecity.workflow.errors import (
    ACTION_REFUSALS,
    attach_errors,
    fetch_in_scope,
    post_only,
    refusal_message,
)
from sciencecity.workflow.paging import page_of

from . import mass_start_forms as forms
from . import mass_start_selectors as selectors
from .models import MassStart, Project
from .regions import district_name, region_of
from .services import mass_starts

PAGE_SIZE = 25
ENTRIES_PAGE_SIZE = 50


def _event(request, pk) -> MassStart:
    return fetch_in_scope(MassStart.objects.for_user(request.user), pk)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def event_list(request):
    user = request.user
    may_record = mass_starts.may_record(user)
    form = forms.MassStartForm(request.POST or None, request.FILES or None) if may_record else None
    if request.method == "POST":
        if form is None:
            messages.error(request, _("只有项目管理人员可以登记集中开工活动。"))
            return redirect("projects:mass_starts")
        if form.is_valid():
            data = dict(form.cleaned_data)
            photo = data.pop("photo", None)
            try:
                event = mass_starts.record_mass_start(user, photo=photo, **data)
            except ValidationError as error:
                attach_errors(form, error)
            except ACTION_REFUSALS as error:
                messages.error(request, refusal_message(error, user))
            else:
                messages.success(request, _("集中开工活动已登记,请添加开工项目。"))
                return redirect(reverse("projects:mass_start", args=[event.pk]) + "#add")
    filters = forms.FilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    page = page_of(
        request, selectors.events(user, year=chosen.get("year"), q=chosen.get("q") or ""), PAGE_SIZE
    )
    return render(
        request,
        "projects/mass_starts.html",
        {"form": form, "filters": filters, **page},
        status=400 if request.method == "POST" else 200,
    )


def _event_context(request, event, **given) -> dict:
    user = request.user
    may_record = mass_starts.may_record(user)
    page = page_of(request, selectors.entries_of(user, event), ENTRIES_PAGE_SIZE)
    for entry in page["rows"]:
        entry.district = district_name(region_of(entry.project.code))
    context = {
        "event": event,
        "breakdown": selectors.breakdown(event),
        "may_record": may_record,
        "hidden": max(0, event.project_count - _visible_count(user, event)),
        **page,
    }
    if may_record:
        context["projects_form"] = given.get("projects_form") or forms.ProjectsForm()
        context["event_form"] = given.get("event_form") or forms.MassStartForm(
            initial={
                key: getattr(event, key) for key in ("name", "held_on", "place", "organizer", "description")
            }
        )
    return context


def _visible_count(user, event) -> int:
    if is_civil_servant(user):
        return event.project_count
    return selectors.entries_of(user, event).count()


@require_safe
@login_required
def event_page(request, pk):
    return render(request, "projects/mass_start.html", _event_context(request, _event(request, pk)))


def _back(event, anchor=""):
    return redirect(reverse("projects:mass_start", args=[event.pk]) + anchor)


@post_only("projects:mass_start", "pk", anchor="#add")
@login_required
def add_projects(request, pk):
    event = _event(request, pk)
    user = request.user
    form = forms.ProjectsForm(request.POST, projects=Project.objects.for_user(user))
    if form.is_valid():
        try:
            added = mass_starts.add_projects(user, event, form.cleaned_data["lines"])
        except ValidationError as error:
            form.add_error("lines", error.messages)
        except ACTION_REFUSALS as error:
            messages.error(request, refusal_message(error, user))
            return _back(event, "#add")
        else:
            started = sum(1 for entry in added if entry.started_here)
            messages.success(
                request,
                ngettext(
                    "已添加 %(count)s 个开工项目,其中 %(started)s 个按本次活动记为开工。",
                    "已添加 %(count)s 个开工项目,其中 %(started)s 个按本次活动记为开工。",
                    len(added),
                )
                % {"count": len(added), "started": started},
            )
            return _back(event, "#projects")
    event.refresh_from_db()
    context = _event_context(request, event, projects_form=form)
    return render(request, "projects/mass_start.html", context, status=400)


@post_only("projects:mass_start", "pk", anchor="#projects")
@login_required
def remove_project(request, pk, project_pk):
    event = _event(request, pk)
    try:
        mass_starts.remove_project(request.user, event, project_pk)
    except ValidationError as error:
        messages.error(request, ";".join(error.messages))
    except ACTION_REFUSALS as error:
        messages.error(request, refusal_message(error, request.user))
    else:
        messages.success(request, _("已移出该项目;项目的开工日期和阶段未改变,如有误请在项目页更正。"))
    return _back(event, "#projects")


@post_only("projects:mass_start", "pk", anchor="#edit")
@login_required
def edit_event(request, pk):
    event = _event(request, pk)
    user = request.user
    form = forms.MassStartForm(request.POST, request.FILES)
    if form.is_valid():
        data = dict(form.cleaned_data)
        photo = data.pop("photo", None)
        try:
            mass_starts.update_mass_start(user, event, photo=photo, **data)
        except ValidationError as error:
            attach_errors(form, error)
        except ACTION_REFUSALS as error:
            messages.error(request, refusal_message(error, user))
            return _back(event, "#edit")
        else:
            messages.success(request, _("活动信息已保存。"))
            return _back(event)
    context = _event_context(request, event, event_form=form)
    return render(request, "projects/mass_start.html", context, status=400)


@require_safe
@login_required
def photo(request, pk):
    event = _event(request, pk)
    if not event.photo:
        raise Http404(_("本次活动没有照片。"))
    response = FileResponse(event.photo.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


urlpatterns = [
    path("mass-starts/", event_list, name="mass_starts"),
    path("mass-starts/<int:pk>/", event_page, name="mass_start"),
    path("mass-starts/<int:pk>/projects/", add_projects, name="mass_start_add"),
    path("mass-starts/<int:pk>/projects/<int:project_pk>/remove/", remove_project, name="mass_start_remove"),
    path("mass-starts/<int:pk>/edit/", edit_event, name="mass_start_edit"),
    path("mass-starts/<int:pk>/photo/", photo, name="mass_start_photo"),
]
