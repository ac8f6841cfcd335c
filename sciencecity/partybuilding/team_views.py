"""Pages of pioneer teams, project alliances, activities, instructors, and the outcomes' drill-down.

Every outcome figure links to the list of the records it counts (`outcomes.rows`), for civil servants and the
party officers; party members who are neither see the figures only, since the records belong to enterprises
and departments they do not serve.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from sciencecity.accounts.models import User
from sciencecity.accounts.scoping import is_civil_servant
from sciencecity.projects.models import EscortMember
from sciencecity.workflow.errors import fetch_in_scope, post_only
from sciencecity.workflow.paging import page_of

from . import outcomes, selectors
from .access import keeps
from .forms import ActivityForm, AllianceForm, EnlistForm, JoinForm, LinkForm, TeamForm
from .models import Activity, Alliance, Organization, PartyMember, PioneerTeam, TeamLink, TeamMember
from .services import activities as activity_services
from .services import teams as team_services
from .views import PAGE_SIZE, done, kept_subtree, require_reader, year_of, years

# Where the officer's choice of a leading organization stops (see views.CHOICES_CAP).
CHOICES_CAP = 500


def _kept_choices(user):
    pks = list(
        kept_subtree(user).exclude(kind=Organization.Kind.GROUP).values_list("pk", flat=True)[:CHOICES_CAP]
    )
    return Organization.objects.filter(pk__in=pks)


def reads_records(user) -> bool:
    """Who may open an outcome's drill-down list."""
    return is_civil_servant(user) or user.has_perm("partybuilding.keep_party")


def _outcomes_context(request, reach, url_name: str, pk) -> dict:
    year = year_of(request)
    return {
        "outcomes": outcomes.outcomes(reach, year),
        "year": year,
        "years": years(),
        "drill": reads_records(request.user),
        "outcome_urls": {
            figure.key: reverse(url_name, args=[pk, figure.key]) + f"?year={year}"
            for figure in outcomes.FIGURES
        },
    }


# --- teams ---------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def team_list(request):
    user = request.user
    require_reader(user)
    may_form = user.has_perm("partybuilding.keep_party") and kept_subtree(user).exists()
    form = TeamForm(request.POST or None, organizations=_kept_choices(user)) if may_form else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("只有党务工作人员可以组建先锋队。"))
        if form.is_valid():
            data = form.cleaned_data
            made = {}

            def perform():
                made["team"] = team_services.form_team(
                    user,
                    data["organization"],
                    name=data["name"],
                    mission=data["mission"],
                    formed_on=data["formed_on"],
                )

            response = done(
                request, reverse("party:teams"), perform, _("已组建先锋队,请添加联系对象和队员。"), form=form
            )
            if response is not None:
                return redirect("party:team", made["team"].pk) if "team" in made else response
    query = request.GET.get("q", "").strip()[:50]
    page = page_of(request, selectors.teams(user, query=query), PAGE_SIZE)
    status = 400 if request.method == "POST" else 200
    return render(request, "party/teams.html", {"page": page, "form": form, "query": query}, status=status)


def _team(request, pk) -> PioneerTeam:
    require_reader(request.user)
    return fetch_in_scope(PioneerTeam.objects.for_user(request.user).select_related("organization"), pk)


def _team_page(request, team, *, link_form=None, enlist_form=None, status=200):
    user = request.user
    keeper = keeps(user, team.organization) and user.has_perm("partybuilding.keep_party")
    context = {
        "team": team,
        "links": selectors.links_of(team),
        "link_kinds": TeamLink.Kind.choices,
        "members": list(selectors.team_members(team)),
        "keeper": keeper,
        "link_form": link_form or (LinkForm() if keeper else None),
        "enlist_form": enlist_form or (EnlistForm() if keeper else None),
        **_outcomes_context(request, outcomes.reach_of_team(team), "party:team_outcomes", team.pk),
    }
    return render(request, "party/team.html", context, status=status)


@require_safe
@login_required
def team_page(request, pk):
    return _team_page(request, _team(request, pk))


def _find_member(user, form):
    """The one member in the officer's scope with the name (and ID tail), or an error on the form."""
    data = form.cleaned_data
    rows = PartyMember.objects.for_user(user).current().filter(name=data["name"].strip())
    if data["id_tail"]:
        rows = rows.filter(id_number__endswith=data["id_tail"].strip().upper())
    found = list(rows.select_related("organization")[:6])
    if not found:
        form.add_error("name", _("在您管理的组织中没有找到这名党员。"))
    elif len(found) > 1:
        form.add_error("id_tail", _("有多名同名党员,请填写身份证号码后四位以区分。"))
    return found[0] if len(found) == 1 else None


@post_only("party:team", "pk")
@login_required
def team_act(request, pk, action):
    team = _team(request, pk)
    user = request.user
    url = reverse("party:team", args=[team.pk])
    if action == "link":
        form = LinkForm(request.POST)
        if form.is_valid():
            target = form.target()
            if target is not None:
                kind = form.cleaned_data["kind"]
                response = done(
                    request,
                    url,
                    lambda: team_services.link(user, team, kind, target),
                    _("已添加联系对象。"),
                    form=form,
                )
                if response is not None:
                    return response
        return _team_page(request, team, link_form=form, status=400)
    if action == "unlink":
        row = TeamLink.objects.filter(team=team, pk=request.POST.get("link")).first()
        if row is None:
            raise Http404
        return done(request, url, lambda: team_services.unlink(user, row), _("已取消联系对象。"))
    if action == "enlist":
        form = EnlistForm(request.POST)
        if form.is_valid() and keeps(user, team.organization):
            member = _find_member(user, form)
            if member is not None:
                role = form.cleaned_data["role"]
                response = done(
                    request,
                    url,
                    lambda: team_services.enlist(user, team, member, role),
                    _("已加入先锋队。"),
                    form=form,
                )
                if response is not None:
                    return response
        elif not keeps(user, team.organization):
            raise PermissionDenied(_("只有牵头党组织及其上级的党务工作人员可以办理。"))
        return _team_page(request, team, enlist_form=form, status=400)
    if action == "dismiss":
        row = TeamMember.objects.filter(team=team, pk=request.POST.get("membership")).first()
        if row is None:
            raise Http404
        return done(request, url, lambda: team_services.dismiss(user, row), _("队员已退出先锋队。"))
    raise PermissionDenied(_("没有这个操作。"))


# --- outcomes' drill-down --------------------------------------------------------------------------------------


def _drill(request, reach, key, title, back_url):
    user = request.user
    if not reads_records(user):
        raise PermissionDenied(_("成效明细供机关工作人员和党务工作人员查看。"))
    figure = outcomes.FIGURE_KEYS.get(key)
    if figure is None:
        raise Http404
    year = year_of(request)
    rows = outcomes.rows(reach, key, year)
    related = {
        "project": ("enterprise",),
        "problem": ("category", "department"),
        "application": ("enterprise", "bundle"),
        "task": ("department", "application"),
    }
    rows = rows.select_related(*related[figure.kind]).order_by("-pk")
    context = {
        "figure": figure,
        "title": title,
        "back_url": back_url,
        "year": year,
        "page": page_of(request, rows, PAGE_SIZE),
        "total": rows.count(),
    }
    return render(request, "party/outcome_rows.html", context)


@require_safe
@login_required
def team_outcomes(request, pk, key):
    team = _team(request, pk)
    return _drill(request, outcomes.reach_of_team(team), key, team.name, reverse("party:team", args=[pk]))


@require_safe
@login_required
def organization_outcomes(request, pk, key):
    require_reader(request.user)
    organization = fetch_in_scope(Organization.objects.for_user(request.user), pk)
    reach = outcomes.reach_of_organization(organization)
    return _drill(request, reach, key, organization.name, reverse("party:organization", args=[pk]))


def _instructor(request, pk) -> User:
    require_reader(request.user)
    instructor = User.objects.filter(pk=pk, escorts__role=EscortMember.Role.INSTRUCTOR).distinct().first()
    if instructor is None:
        raise Http404
    return instructor


@require_safe
@login_required
def instructor_outcomes(request, pk, key):
    instructor = _instructor(request, pk)
    name = instructor.display_name or instructor.username
    return _drill(
        request, outcomes.reach_of_instructor(instructor), key, name, reverse("party:instructor", args=[pk])
    )


# --- instructors ------------------------------------------------------------------------------------------------


@require_safe
@login_required
def instructor_list(request):
    require_reader(request.user)
    rows = (
        User.objects.filter(escorts__role=EscortMember.Role.INSTRUCTOR)
        .annotate(projects=Count("escorts", distinct=True))
        .order_by("display_name", "pk")
    )
    return render(request, "party/instructors.html", {"page": page_of(request, rows, PAGE_SIZE)})


@require_safe
@login_required
def instructor_page(request, pk):
    instructor = _instructor(request, pk)
    projects = (
        EscortMember.objects.filter(user=instructor, role=EscortMember.Role.INSTRUCTOR)
        .select_related("project__enterprise")
        .order_by("project__name")
    )
    context = {
        "instructor": instructor,
        "projects": list(projects),
        "member": PartyMember.objects.filter(user=instructor).select_related("organization").first(),
        **_outcomes_context(
            request, outcomes.reach_of_instructor(instructor), "party:instructor_outcomes", pk
        ),
    }
    return render(request, "party/instructor.html", context)


# --- alliances --------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def alliance_list(request):
    user = request.user
    require_reader(user)
    may_form = user.has_perm("partybuilding.keep_party") and kept_subtree(user).exists()
    form = AllianceForm(request.POST or None, organizations=_kept_choices(user)) if may_form else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("只有党务工作人员可以成立党建联盟。"))
        if form.is_valid():
            data = form.cleaned_data
            made = {}

            def perform():
                made["alliance"] = team_services.form_alliance(
                    user,
                    data["project"],
                    data["lead"],
                    name=data["name"],
                    charter=data["charter"],
                    formed_on=data["formed_on"],
                )

            response = done(
                request, reverse("party:alliances"), perform, _("已成立项目党建联盟。"), form=form
            )
            if response is not None:
                return redirect("party:alliance", made["alliance"].pk) if "alliance" in made else response
    page = page_of(request, selectors.alliances(user).order_by("-formed_on", "pk"), PAGE_SIZE)
    status = 400 if request.method == "POST" else 200
    return render(request, "party/alliances.html", {"page": page, "form": form}, status=status)


def _alliance(request, pk) -> Alliance:
    require_reader(request.user)
    return fetch_in_scope(
        Alliance.objects.for_user(request.user).select_related("project__enterprise", "lead"), pk
    )


def _alliance_page(request, alliance, *, join_form=None, status=200):
    user = request.user
    keeper = keeps(user, alliance.lead) and user.has_perm("partybuilding.keep_party")
    instructors = EscortMember.objects.filter(project=alliance.project, role=EscortMember.Role.INSTRUCTOR)
    context = {
        "alliance": alliance,
        "memberships": list(alliance.memberships.select_related("organization").order_by("side", "pk")),
        "instructors": list(instructors.select_related("user")),
        "activities": list(selectors.activities(user, alliance=alliance)[:30]),
        "kinds": Activity.Kind,
        "keeper": keeper,
        "join_form": join_form or (JoinForm() if keeper else None),
        **_outcomes_context(
            request, outcomes.Reach(projects={alliance.project_id}), "party:alliance_outcomes", alliance.pk
        ),
    }
    return render(request, "party/alliance.html", context, status=status)


@require_safe
@login_required
def alliance_page(request, pk):
    return _alliance_page(request, _alliance(request, pk))


@require_safe
@login_required
def alliance_outcomes(request, pk, key):
    alliance = _alliance(request, pk)
    reach = outcomes.Reach(projects={alliance.project_id})
    return _drill(request, reach, key, alliance.name, reverse("party:alliance", args=[pk]))


@post_only("party:alliance", "pk")
@login_required
def alliance_join(request, pk):
    alliance = _alliance(request, pk)
    form = JoinForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        response = done(
            request,
            reverse("party:alliance", args=[alliance.pk]),
            lambda: team_services.join_alliance(request.user, alliance, data["organization"], data["side"]),
            _("已加入联盟。"),
            form=form,
        )
        if response is not None:
            return response
    return _alliance_page(request, alliance, join_form=form, status=400)


# --- activities -------------------------------------------------------------------------------------------------


@require_safe
@login_required
def activity_list(request):
    user = request.user
    require_reader(user)
    kind = request.GET.get("kind", "")
    rows = selectors.activities(user, year=year_of(request) if request.GET.get("year") else None)
    if kind in Activity.Kind.values:
        rows = rows.filter(kind=kind)
    context = {"page": page_of(request, rows, PAGE_SIZE), "kind": kind, "kinds": Activity.Kind.choices}
    return render(request, "party/activities.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def activity_new(request, pk):
    require_reader(request.user)
    user = request.user
    organization = fetch_in_scope(Organization.objects.for_user(user), pk)
    if not (keeps(user, organization) and user.has_perm("partybuilding.keep_party")):
        raise PermissionDenied(_("只有本组织及其上级党组织的党务工作人员可以记录活动。"))
    members = list(selectors.members_of(user, organization)[:300])
    form = ActivityForm(
        request.POST or None, organization=organization, members=members, initial={"hours": 2}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            key: data[key]
            for key in ("kind", "title", "held_on", "place", "online", "hours", "notes", "alliance")
        }
        response = done(
            request,
            reverse("party:organization", args=[organization.pk]),
            lambda: activity_services.record_activity(
                user, organization, attendance=form.attendance(), **fields
            ),
            _("已记录活动。"),
            form=form,
        )
        if response is not None:
            return response
    if request.method == "POST":
        messages.error(request, _("活动未记录,请按提示修改。"))
    status = 400 if request.method == "POST" else 200
    return render(
        request, "party/activity_new.html", {"organization": organization, "form": form}, status=status
    )


@require_safe
@login_required
def activity_page(request, pk):
    require_reader(request.user)
    activity = fetch_in_scope(
        Activity.objects.for_user(request.user).select_related(
            "organization", "alliance", "project", "recorded_by"
        ),
        pk,
    )
    # Names of those present, to those who read the members of the organization; counts to everyone.
    attendance = activity.attendance.select_related("member__organization").order_by("status", "member__name")
    readable = set(
        PartyMember.objects.for_user(request.user)
        .filter(attendance__activity=activity)
        .values_list("pk", flat=True)
    )
    rows = [row for row in attendance if row.member_id in readable]
    context = {"activity": activity, "attendance": rows, "total": attendance.count()}
    return render(request, "party/activity.html", context)
