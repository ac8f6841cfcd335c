"""The register's pages: the list (a supervisor's search), recording an interaction, one record with the
enterprise's answer and the supervisors' findings, and the positive and negative lists."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from sciencecity.accounts.scoping import sees_everything
from sciencecity.enterprises.models import Enterprise
from sciencecity.workflow.errors import (
    ACTION_REFUSALS,
    attach_errors,
    fetch_in_scope,
    post_only,
    refusal_message,
)
from sciencecity.workflow.paging import page_of, rows_or_page

from . import exports, services
from .forms import FindingForm, InteractionForm, ResponseForm, SearchForm
from .models import Interaction, ListItem
from .workbench import _reads

PAGE_SIZE = 25


def require_reader(user):
    if not _reads(user):
        raise PermissionDenied


@require_safe
@login_required
def interaction_list(request):
    user = request.user
    require_reader(user)
    form = SearchForm(request.GET or None)
    if not sees_everything(user):
        del form.fields["department"]
    if not user.has_perm(services.RECORD):
        del form.fields["mine"]
    if not user.has_perm(services.FIND):
        del form.fields["unreviewed"]
    filters = form.cleaned_data if form.is_valid() else {}
    records = Interaction.objects.for_user(user)
    if filters.get("mine"):
        records = records.filter(official=user)
    if filters.get("unreviewed"):
        records = records.filter(findings__isnull=True)
    records = services.search(
        records,
        q=filters.get("q", ""),
        flagged=filters.get("flagged", False),
        response=filters.get("response", ""),
        department=filters.get("department"),
        since=filters.get("since"),
        until=filters.get("until"),
    ).select_related("enterprise", "official", "department")
    if request.GET.get("format") == "xlsx":
        return exports.register_response(records)
    page = page_of(request, records.annotate(finding_count=Count("findings")), PAGE_SIZE)
    return rows_or_page(
        request,
        "interactions/_results.html",
        "interactions/list.html",
        {
            "form": form,
            "records": page.pop("rows"),
            "may_record": user.has_perm(services.RECORD),
            "days": settings.INTERACTION_RECORD_WORKING_DAYS,
            "export_url": f"{request.path}?{_with_format(request)}",
            **page,
        },
    )


def _with_format(request) -> str:
    query = request.GET.copy()
    query["format"] = "xlsx"
    query.pop("page", None)
    return query.urlencode()


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def record_page(request):
    user = request.user
    if not user.has_perm(services.RECORD):
        raise PermissionDenied(_("您没有登记政商交往的权限。"))
    form = InteractionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            interaction = services.record_interaction(
                user,
                enterprise=data["enterprise"],
                kind=data["kind"],
                occurred_on=data["occurred_on"],
                place=data["place"],
                purpose=data["purpose"],
                items=data["items"],
                officials_present=data["officials_present"],
                enterprise_attendees=data["enterprise_attendees"],
                outcome=data["outcome"],
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            if interaction.flagged:
                messages.warning(request, _("已登记。这条登记逾期或涉及负面清单,已提示纪检监督人员。"))
            else:
                messages.success(request, _("已登记,企业可在平台上确认。"))
            return redirect("interactions:detail", pk=interaction.pk)
    return render(
        request,
        "interactions/record.html",
        {"form": form, "days": settings.INTERACTION_RECORD_WORKING_DAYS},
        status=400 if form.errors else 200,
    )


@require_safe
@login_required
def detail(request, pk):
    user = request.user
    require_reader(user)
    interaction = fetch_in_scope(
        Interaction.objects.for_user(user).select_related(
            "enterprise", "official", "department", "responded_by", "service_event"
        ),
        pk,
    )
    return render(request, "interactions/detail.html", _detail_context(user, interaction))


def _detail_context(user, interaction, **forms):
    return {
        "interaction": interaction,
        "items": list(interaction.items.order_by("kind", "order")),
        "findings": list(interaction.findings.select_related("author").order_by("written_at", "id")),
        "actions": services.TRANSITIONS.allowed_actions(interaction, user)
        if user.enterprise_id == interaction.enterprise_id
        else [],
        "response_form": forms.get("response_form") or ResponseForm(),
        "finding_form": forms.get("finding_form") or FindingForm(),
        "may_find": user.has_perm(services.FIND),
    }


@post_only("interactions:detail", "pk")
@login_required
def act(request, pk, action):
    user = request.user
    require_reader(user)
    interaction = fetch_in_scope(Interaction.objects.for_user(user).select_related("enterprise"), pk)
    url = reverse("interactions:detail", args=[pk])
    if action in ("confirm", "dispute"):
        form = ResponseForm(request.POST)
        if form.is_valid():
            try:
                services.respond(user, interaction, action, form.cleaned_data["note"])
            except ValidationError as error:
                attach_errors(form, error)
            except ACTION_REFUSALS as error:
                messages.error(request, refusal_message(error, user))
                return redirect(url)
            else:
                messages.success(request, _("已提交,谢谢。"))
                return redirect(url)
        context = _detail_context(user, interaction, response_form=form)
        return render(request, "interactions/detail.html", context, status=400)
    if action == "finding":
        form = FindingForm(request.POST)
        if form.is_valid():
            try:
                services.add_finding(user, interaction, form.cleaned_data["kind"], form.cleaned_data["text"])
            except ValidationError as error:
                attach_errors(form, error)
            except ACTION_REFUSALS as error:
                messages.error(request, refusal_message(error, user))
                return redirect(url)
            else:
                messages.success(request, _("监督意见已记录。"))
                return redirect(f"{url}#findings")
        context = _detail_context(user, interaction, finding_form=form)
        return render(request, "interactions/detail.html", context, status=400)
    raise PermissionDenied


OPTIONS = 10  # enterprises suggested as the official types


@require_safe
@login_required
def enterprise_options(request):
    """The enterprises whose name or credit code contains what the official has typed, as a datalist for the
    form's enterprise field (htmx): a zone's thousands of names are not sent with the form."""
    if not request.user.has_perm(services.RECORD):
        raise PermissionDenied
    typed = (request.GET.get("enterprise") or "").strip().replace("\x00", "")[:100]
    found = []
    if len(typed) >= 2:
        found = list(
            Enterprise.objects.for_user(request.user)
            .filter(Q(name__icontains=typed) | Q(credit_code__startswith=typed.upper()))
            .order_by("name")
            .values_list("name", "credit_code")[:OPTIONS]
        )
    return render(request, "interactions/_enterprise_options.html", {"found": found})


@require_safe
@login_required
def lists_page(request):
    items = ListItem.objects.filter(is_active=True).order_by("kind", "order", "code")
    return render(
        request,
        "interactions/lists.html",
        {
            "encouraged": [item for item in items if item.kind == ListItem.Kind.ENCOURAGED],
            "forbidden": [item for item in items if item.kind == ListItem.Kind.FORBIDDEN],
            "days": settings.INTERACTION_RECORD_WORKING_DAYS,
        },
    )


app_name = "interactions"
urlpatterns = [
    path("", interaction_list, name="list"),
    path("new/", record_page, name="new"),
    path("lists/", lists_page, name="lists"),
    path("enterprises/", enterprise_options, name="enterprise_options"),
    path("<int:pk>/", detail, name="detail"),
    path("<int:pk>/<slug:action>/", act, name="act"),
]
