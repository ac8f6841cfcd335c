"""The service events' pages: the list (kind, period, department …), recording an event, one event with its
participants, demands (with their problems' states) and outcome, and the forms used at the event on a phone —
adding participants, raising a demand — and after it: the outcome, the entries of the interaction register."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from sciencecity.accounts.scoping import STAFF_ROLES, is_civil_servant
from sciencecity.enterprises.models import Enterprise
from sciencecity.workdays import clock
from sciencecity.workflow.errors import (
    ACTION_REFUSALS,
    attach_errors,
    fetch_in_scope,
    post_only,
    refusal_message,
)
from sciencecity.workflow.paging import page_of, rows_or_page

from .. import services as register_services
from ..models import EventDemand, EventParticipant, Interaction, ServiceEvent
from . import selectors, services
from .forms import PARTICIPANT_FORMS, CancelForm, DemandForm, EventForm, OutcomeForm, RegisterForm, SearchForm

PAGE_SIZE = 25
OPTIONS = 10  # suggestions shown as one types
Role = EventParticipant.Role


def require_reader(user) -> None:
    if not user.has_perm(services.VIEW):
        raise PermissionDenied(_("您没有查看服务活动的权限。"))


def _event(request, pk):
    return fetch_in_scope(
        ServiceEvent.objects.for_user(request.user).select_related(
            "department", "created_by", "outcome_recorded_by"
        ),
        pk,
    )


# --- the list -------------------------------------------------------------------------------------------


@require_safe
@login_required
def event_list(request):
    user = request.user
    require_reader(user)
    staff = is_civil_servant(user)
    form = SearchForm(request.GET or None)
    if not staff:
        del form.fields["mine"]
    filters = form.cleaned_data if form.is_valid() else {}
    enterprise = _enterprise_filter(request)
    events = selectors.search(
        ServiceEvent.objects.for_user(user),
        q=filters.get("q", ""),
        kind=filters.get("kind", ""),
        status=filters.get("status", ""),
        department=filters.get("department"),
        since=filters.get("since"),
        until=filters.get("until"),
        when=filters.get("when", ""),
        enterprise=enterprise,
        user=user,
        mine=filters.get("mine", False),
    ).select_related("department")
    page = page_of(request, events, PAGE_SIZE)
    rows = page.pop("rows")
    ids = [event.pk for event in rows]
    figures = selectors.demand_figures(EventDemand.objects.for_user(user), ids)
    counts = selectors.participant_counts(ids)
    return rows_or_page(
        request,
        "service_events/_results.html",
        "service_events/list.html",
        {
            "form": form,
            "rows": [(event, counts[event.pk], figures[event.pk]) for event in rows],
            "staff": staff,
            "may_hold": user.has_perm(services.HOLD),
            "enterprise": enterprise,
            **page,
        },
    )


def _enterprise_filter(request):
    """The enterprise named by `?enterprise=<id>` (the enterprise file's link), within the reader's scope."""
    try:
        pk = int(request.GET.get("enterprise", ""))
    except ValueError:
        return None
    if not 0 < pk < 2**63:
        return None
    return Enterprise.objects.for_user(request.user).filter(pk=pk).first()


# --- recording an event ---------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def new_event(request):
    user = request.user
    if not user.has_perm(services.HOLD):
        raise PermissionDenied(_("您没有组织服务活动的权限。"))
    form = EventForm(request.POST or None, initial={"department": user.department_id})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = services.record_event(user, **data)
        except ValidationError as error:
            attach_errors(form, error)
        except ACTION_REFUSALS as error:
            messages.error(request, refusal_message(error, user))
        else:
            messages.success(request, _("活动已登记。请添加参加的企业、专家和陪跑人员。"))
            return redirect("service_events:detail", pk=event.pk)
    return render(request, "service_events/new.html", {"form": form}, status=400 if form.errors else 200)


# --- one event ------------------------------------------------------------------------------------------


@require_safe
@login_required
def detail(request, pk):
    user = request.user
    require_reader(user)
    return render(request, "service_events/detail.html", _context(user, _event(request, pk)))


def _context(user, event, **forms):
    participants = list(selectors.participants_of(event))
    escort = any(row.role == Role.ESCORT and row.user_id == user.pk for row in participants)
    manage = services.may_manage(user, event, escort=escort)
    enterprises = [row for row in participants if row.role == Role.ENTERPRISE]
    demands = list(selectors.demands_of(user, event))
    readable = selectors.readable_problems(user, demands)
    today = clock.today()
    registered = {}
    if is_civil_servant(user) or user.enterprise_id:
        registered = {
            record.enterprise_id: record
            for record in Interaction.objects.for_user(user)
            .filter(service_event=event)
            .only("id", "number", "enterprise_id", "response")
        }
    for row in enterprises:
        row.interaction = registered.get(row.enterprise_id)
    is_open = event.status != ServiceEvent.Status.CANCELLED
    own = [row for row in enterprises if services.speaks_for(user, row.enterprise_id)]
    participant_forms = {}
    if manage and is_open:
        participant_forms = {
            role: forms.get(f"{role}_form") or form_class(prefix=role)
            for role, form_class in PARTICIPANT_FORMS.items()
        }
    return {
        "event": event,
        "enterprises": enterprises,
        "experts": [row for row in participants if row.role == Role.EXPERT],
        "escorts": [row for row in participants if row.role == Role.ESCORT],
        "demands": [
            {
                "demand": demand,
                "problem": demand.problem,
                "url": reverse("problems:detail", args=[demand.problem_id])
                if demand.problem_id in readable
                else "",
                "overdue": demand.problem.light(today) == "red",
            }
            for demand in demands
        ],
        "figures": selectors.demand_figures_from(demands, today),
        "manage": manage,
        "is_open": is_open,
        "may_raise": is_open and enterprises and (manage or bool(own)),
        "may_register": manage
        and is_open
        and user.has_perm(register_services.RECORD)
        and event.starts_at <= clock.now(),
        "may_outcome": manage
        and event.starts_at <= clock.now()
        and "record_outcome" in services.TRANSITIONS.allowed_actions(event, user),
        "may_cancel": manage and "cancel" in services.TRANSITIONS.allowed_actions(event, user),
        "participant_forms": participant_forms,
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "staff": is_civil_servant(user),
    }


@post_only("service_events:detail", "pk")
@login_required
def add_participant(request, pk):
    user = request.user
    require_reader(user)
    event = _event(request, pk)
    role = request.POST.get("role", "")
    form_class = PARTICIPANT_FORMS.get(role)
    if form_class is None:
        raise PermissionDenied
    form = form_class(request.POST, prefix=role)
    url = reverse("service_events:detail", args=[pk]) + "#participants"
    if form.is_valid():
        try:
            services.add_participant(user, event, role=role, **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
        except ACTION_REFUSALS as error:
            messages.error(request, refusal_message(error, user))
            return redirect(url)
        else:
            messages.success(request, _("已添加参加者。"))
            return redirect(url)
    return render(
        request, "service_events/detail.html", _context(user, event, **{f"{role}_form": form}), status=400
    )


@post_only("service_events:detail", "pk")
@login_required
def cancel(request, pk):
    user = request.user
    require_reader(user)
    event = _event(request, pk)
    form = CancelForm(request.POST)
    url = reverse("service_events:detail", args=[pk])
    if form.is_valid():
        try:
            services.cancel_event(user, event, form.cleaned_data["reason"])
        except ValidationError as error:
            attach_errors(form, error)
        except ACTION_REFUSALS as error:
            messages.error(request, refusal_message(error, user))
            return redirect(url)
        else:
            messages.success(request, _("活动已取消。"))
            return redirect(url)
    return render(request, "service_events/detail.html", _context(user, event, cancel_form=form), status=400)


# --- at the event: a demand ------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def raise_demand(request, pk):
    """The demand form, one column for a phone: the enterprise (of those taking part; an enterprise's own
    person raises its own), the category, what it needs."""
    user = request.user
    require_reader(user)
    event = _event(request, pk)
    rows = list(
        event.participants.filter(role=Role.ENTERPRISE)
        .select_related("enterprise")
        .order_by("enterprise__name")
    )
    if not services.may_manage(user, event):
        rows = [row for row in rows if services.speaks_for(user, row.enterprise_id)]
        if not rows:
            raise PermissionDenied(_("只有活动的组织和陪跑人员、或参加活动的企业可以登记企业诉求。"))
    enterprises = [row.enterprise for row in rows]
    form = DemandForm(request.POST or None, enterprises=enterprises)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = next(enterprise for enterprise in enterprises if enterprise.pk == data["enterprise"])
        try:
            demand = services.raise_demand(
                user,
                event,
                enterprise=chosen,
                category=data["category"],
                title=data["title"],
                description=data["description"],
            )
        except ValidationError as error:
            attach_errors(form, error)
        except ACTION_REFUSALS as error:
            messages.error(request, refusal_message(error, user))
            return redirect("service_events:detail", pk=pk)
        else:
            messages.success(
                request,
                _("诉求已登记为问题 %(number)s,转入问题闭环办理。可继续登记下一条。")
                % {"number": demand.problem.number},
            )
            return redirect("service_events:demand", pk=pk)
    return render(
        request,
        "service_events/demand.html",
        {"event": event, "form": form, "count": event.demands.count()},
        status=400 if form.errors else 200,
    )


# --- after the event: the outcome, the register -------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def outcome(request, pk):
    user = request.user
    require_reader(user)
    event = _event(request, pk)
    if not services.may_manage(user, event):
        raise PermissionDenied(_("只有活动的组织部门、登记人、陪跑人员和领导可以维护这次活动。"))
    form = OutcomeForm(
        request.POST or None, initial={"summary": event.summary, "agreements": event.agreements}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.record_outcome(user, event, **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
        except ACTION_REFUSALS as error:
            messages.error(request, refusal_message(error, user))
            return redirect("service_events:detail", pk=pk)
        else:
            messages.success(request, _("活动成果已记录。"))
            return redirect(reverse("service_events:detail", args=[pk]) + "#outcome")
    figures = selectors.figures_of(EventDemand.objects.for_user(user), event)
    return render(
        request,
        "service_events/outcome.html",
        {"event": event, "form": form, "figures": figures},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def register(request, pk):
    user = request.user
    require_reader(user)
    event = _event(request, pk)
    if not (services.may_manage(user, event) and user.has_perm(register_services.RECORD)):
        raise PermissionDenied(_("只有维护这次活动、且可登记政商交往的工作人员可以登记。"))
    waiting = list(services.unregistered(event))
    names = [str(row.user) for row in event.participants.filter(role=Role.ESCORT).select_related("user")]
    if str(user) not in names:
        names.insert(0, str(user))
    form = RegisterForm(
        request.POST or None, waiting=waiting, initial={"officials_present": "、".join(names)}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            records = services.register_interactions(
                user,
                event,
                items=data["items"],
                officials_present=data["officials_present"],
                enterprises=data["enterprises"],
            )
        except ValidationError as error:
            attach_errors(form, error)
        except ACTION_REFUSALS as error:
            messages.error(request, refusal_message(error, user))
            return redirect("service_events:detail", pk=pk)
        else:
            flagged = sum(record.flagged for record in records)
            if flagged:
                messages.warning(
                    request,
                    _(
                        "已登记 %(n)d 条政商交往记录,其中 %(flagged)d 条逾期或涉及负面清单,已提示纪检监督人员。"
                    )
                    % {"n": len(records), "flagged": flagged},
                )
            else:
                messages.success(
                    request, _("已登记 %(n)d 条政商交往记录,企业可在平台上确认。") % {"n": len(records)}
                )
            return redirect(reverse("service_events:detail", args=[pk]) + "#participants")
    return render(
        request,
        "service_events/register.html",
        {"event": event, "form": form, "waiting": waiting},
        status=400 if form.errors else 200,
    )


# --- suggestions while typing ----------------------------------------------------------------------------


def _typed(request, name: str) -> str:
    return (request.GET.get(name) or "").strip().replace("\x00", "")[:100]


@require_safe
@login_required
def enterprise_options(request):
    """The enterprises whose name or credit code contains what is typed (htmx datalist)."""
    if not request.user.has_perm(services.HOLD):
        raise PermissionDenied
    typed = _typed(request, "enterprise-enterprise")
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
def person_options(request):
    """The zone's staff whose name or user name contains what is typed (htmx datalist)."""
    if not request.user.has_perm(services.HOLD):
        raise PermissionDenied
    typed = _typed(request, "escort-person")
    found = []
    if len(typed) >= 1:
        found = list(
            get_user_model()
            .objects.filter(is_active=True, groups__name__in=STAFF_ROLES)
            .filter(Q(display_name__icontains=typed) | Q(username__istartswith=typed))
            .distinct()
            .order_by("username")
            .values_list("username", "display_name")[:OPTIONS]
        )
    return render(request, "service_events/_person_options.html", {"found": found})


app_name = "service_events"
urlpatterns = [
    path("", event_list, name="list"),
    path("new/", new_event, name="new"),
    path("enterprises/", enterprise_options, name="enterprise_options"),
    path("people/", person_options, name="person_options"),
    path("<int:pk>/", detail, name="detail"),
    path("<int:pk>/participants/", add_participant, name="add_participant"),
    path("<int:pk>/demands/new/", raise_demand, name="demand"),
    path("<int:pk>/outcome/", outcome, name="outcome"),
    path("<int:pk>/cancel/", cancel, name="cancel"),
    path("<int:pk>/register/", register, name="register"),
]
