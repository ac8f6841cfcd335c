"""Party building's pages: the officer's starting page, the organization tree, an organization's page (its
sub-organizations with their members counted with their subtrees, officers, members, history, teams, alliances,
activities and outcomes, and the forms of its keepers), a member's page.

Reads go through the scoped querysets (`Organization.objects.for_user`, `PartyMember.objects.for_user`: outside
them 404); writes through `services.*`, whose refusals come back as messages or as errors on the form.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from sciencecity.workdays import clock
from sciencecity.workflow.errors import (
    ACTION_REFUSALS,
    attach_errors,
    fetch_in_scope,
    post_only,
    refusal_message,
)
from sciencecity.workflow.paging import page_of

from . import outcomes, reminders, selectors
from .access import keeps
from .forms import AppointForm, FoundForm, MemberForm, MergeForm, MoveForm, RenameForm, RootForm, TransferForm
from .models import Officer, Organization, PartyMember, reads_party
from .services import members as member_services
from .services import organizations as tree
from .services.organizations import MEMBER_KINDS, PARENT_KINDS

PAGE_SIZE = 50
# The choices of a move or merger are limited to what the officer keeps; a tree of 10,000 organizations
# would be a select nobody can use, so at most this many are offered.
CHOICES_CAP = 500


def year_of(request) -> int:
    """The year the outcomes are shown for: ?year=, else this year."""
    today = clock.today()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        return today.year
    return year if 2000 <= year <= today.year else today.year


def years() -> list[int]:
    this = clock.today().year
    return list(range(this, this - 5, -1))


def require_reader(user) -> None:
    if not reads_party(user):
        raise PermissionDenied(_("党建工作页面供党务工作人员、党员和机关工作人员使用。"))


def kept_subtree(user):
    """The organizations under the user's posts (a union of path ranges), active ones."""
    from .models import officer_paths, under

    return Organization.objects.active().filter(under(officer_paths(user)))


def done(request, url, perform, message, form=None):
    """Run a service; its refusal becomes a message (or the form's errors); success a message and a redirect."""
    try:
        perform()
    except ValidationError as error:
        if form is not None:
            attach_errors(form, error)
            return None
        messages.error(request, " ".join(error.messages))
    except ACTION_REFUSALS as error:
        messages.error(request, refusal_message(error, request.user))
    else:
        messages.success(request, message)
    return redirect(url)


@require_safe
@login_required
def home(request):
    user = request.user
    require_reader(user)
    kept = list(selectors.kept_organizations(user))
    counts = selectors.subtree_member_counts(kept)
    own = PartyMember.objects.filter(user=user).select_related("organization").first()
    context = {
        "kept": [(organization, counts[organization.pk]) for organization in kept],
        "own": own,
        "roots": list(selectors.children_of(None)),
        "teams": list(selectors.teams(user)[:8]),
        "alliances": list(selectors.alliances(user)[:8]),
    }
    return render(request, "party/home.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def tree_page(request):
    """The tree from the top, or the organizations whose name holds ?q=; administrators found the root here."""
    user = request.user
    require_reader(user)
    root_form = RootForm(request.POST or None) if tree.administers(user) else None
    if request.method == "POST":
        if root_form is None:
            raise PermissionDenied(_("只有系统管理员可以设立最高一级党组织。"))
        if root_form.is_valid():
            data = root_form.cleaned_data
            response = done(
                request,
                reverse("party:tree"),
                lambda: tree.found(
                    user,
                    None,
                    name=data["name"],
                    kind=Organization.Kind.WORKING_COMMITTEE,
                    sector=data["sector"],
                ),
                _("已成立党组织,请在它的页面任命党务工作人员。"),
                form=root_form,
            )
            if response is not None:
                return response
    query = request.GET.get("q", "").strip()[:50]
    if query:
        rows = Organization.objects.for_user(user).active().filter(name__contains=query)
        page = page_of(request, rows, PAGE_SIZE)
        return render(request, "party/tree.html", {"page": page, "query": query})
    roots = list(selectors.children_of(None))
    counts = selectors.subtree_member_counts(roots)
    context = {"roots": [(root, counts[root.pk]) for root in roots], "root_form": root_form}
    return render(request, "party/tree.html", context, status=400 if request.method == "POST" else 200)


def _organization(request, pk) -> Organization:
    require_reader(request.user)
    return fetch_in_scope(
        Organization.objects.for_user(request.user).select_related("department", "enterprise"), pk
    )


def _capped(queryset):
    return Organization.objects.filter(pk__in=list(queryset.values_list("pk", flat=True)[:CHOICES_CAP]))


def _keeper_forms(user, organization: Organization, data=None, which: str = "") -> dict:
    """The forms a keeper of `organization` sees on its page; `which` is bound to `data` after a failed POST."""

    def bound(name):
        return data if which == name else None

    parent_kinds = [kind for kind, parents in PARENT_KINDS.items() if organization.kind in parents]
    outside = kept_subtree(user).exclude(path__startswith=organization.path)
    parents = outside.filter(kind__in=PARENT_KINDS[organization.kind] - {None})
    targets = outside.filter(kind__in=MEMBER_KINDS)
    forms = {
        "found": FoundForm(bound("found")),
        "rename": RenameForm(bound("rename"), initial={"name": organization.name}),
        "appoint": AppointForm(bound("appoint")),
        "move": MoveForm(bound("move"), parents=_capped(parents)),
        "merge": MergeForm(bound("merge"), targets=_capped(targets)),
    }
    forms["found"].fields["kind"].choices = [(kind, Organization.Kind(kind).label) for kind in parent_kinds]
    if organization.kind in MEMBER_KINDS:
        forms["member"] = MemberForm(bound("member"), initial={"status": PartyMember.Status.FULL})
    return forms


def _organization_page(request, organization: Organization, forms=None, status=200):
    user = request.user
    keeper = keeps(user, organization) and user.has_perm("partybuilding.keep_party")
    children = list(selectors.children_of(organization, dissolved=True))
    counts = selectors.subtree_member_counts([organization, *children])
    query = request.GET.get("q", "").strip()[:50]
    member_rows = selectors.members_of(user, organization, query=query)
    year = year_of(request)
    context = {
        "organization": organization,
        "path": selectors.path_to(organization),
        "children": [(child, counts[child.pk]) for child in children],
        "total": counts[organization.pk],
        "officers": list(selectors.posts_of(organization)),
        "events": list(organization.events.select_related("other", "actor").order_by("-on", "-pk")[:20]),
        "teams": list(selectors.teams(user, organization=organization)[:20]),
        "alliances": list(selectors.alliances(user).filter(memberships__organization=organization)[:20]),
        "activities": list(selectors.activities(user, organization=organization)[:10]),
        "reads_members": PartyMember.objects.for_user(user)
        .filter(organization__path__startswith=organization.path)
        .exists()
        or keeper,
        "members": page_of(request, member_rows, PAGE_SIZE),
        "query": query,
        "keeper": keeper,
        "forms": forms if forms is not None else (_keeper_forms(user, organization) if keeper else {}),
        # An administrator gives the root's first post (then its holder keeps the tree).
        "may_appoint_root": not keeper and organization.depth == 1 and tree.administers(user),
        "appoint_form": AppointForm(),
        "year": year,
        "years": years(),
        "outcomes": outcomes.outcomes(outcomes.reach_of_organization(organization), year),
        "outcomes_url": reverse("party:organization_outcomes", args=[organization.pk, "projects"]),
        "member_kinds": MEMBER_KINDS,
        "obligations": reminders.obligations(organization),
    }
    return render(request, "party/organization.html", context, status=status)


@require_safe
@login_required
def organization_page(request, pk):
    return _organization_page(request, _organization(request, pk))


def _found(user, organization, form):
    data = form.cleaned_data
    return tree.found(
        user,
        organization,
        name=data["name"],
        kind=data["kind"],
        sector=data["sector"],
        department=data["department"],
        enterprise=data["credit_code"],
        established_on=data["established_on"],
    )


ORGANIZATION_ACTIONS = {
    # action: (form name, the service call, the message)
    "found": ("found", _found, "已成立下级党组织。"),
    "rename": (
        "rename",
        lambda user, org, form: tree.rename(user, org, form.cleaned_data["name"]),
        "已更名。",
    ),
    "move": (
        "move",
        lambda user, org, form: tree.move(
            user, org, form.cleaned_data["parent"], note=form.cleaned_data["note"]
        ),
        "已调整隶属关系。",
    ),
    "merge": (
        "merge",
        lambda user, org, form: tree.merge(
            user, org, form.cleaned_data["into"], note=form.cleaned_data["note"]
        ),
        "已合并,党员的组织关系已一并转接。",
    ),
    "appoint": (
        "appoint",
        lambda user, org, form: tree.appoint(
            user, org, form.cleaned_data["username"], form.cleaned_data["title"]
        ),
        "已任命。",
    ),
    "member": (
        "member",
        lambda user, org, form: member_services.register(
            user,
            org,
            person=form.cleaned_data["username"],
            **{key: value for key, value in form.cleaned_data.items() if key != "username"},
        ),
        "已登记党员。",
    ),
}


@post_only("party:organization", "pk")
@login_required
def organization_act(request, pk, action):
    organization = _organization(request, pk)
    user = request.user
    url = reverse("party:organization", args=[organization.pk])
    if action == "dissolve":
        return done(request, url, lambda: tree.dissolve(user, organization), _("已撤销。"))
    if action == "relieve":
        post = Officer.objects.filter(pk=request.POST.get("post"), organization=organization).first()
        if post is None:
            raise PermissionDenied(_("没有这个职务。"))
        return done(request, url, lambda: tree.relieve(user, post), _("已免去职务。"))
    if action not in ORGANIZATION_ACTIONS:
        raise PermissionDenied(_("没有这个操作。"))
    name, perform, message = ORGANIZATION_ACTIONS[action]
    if action == "appoint" and organization.depth == 1 and tree.administers(user):
        forms = {"appoint": AppointForm(request.POST)}
    elif not keeps(user, organization):
        raise PermissionDenied(_("只有本组织及其上级党组织的党务工作人员可以办理。"))
    else:
        forms = _keeper_forms(user, organization, request.POST, name)
    form = forms[name]
    if form.is_valid():
        response = done(request, url, lambda: perform(user, organization, form), _(message), form=form)
        if response is not None:
            return response
    organization.refresh_from_db()
    return _organization_page(request, organization, forms=forms, status=400)


def _member(request, pk) -> PartyMember:
    require_reader(request.user)
    rows = PartyMember.objects.for_user(request.user).select_related("organization", "user")
    return fetch_in_scope(rows, pk)


def _member_page(request, member: PartyMember, *, revealed: str = "", transfer_form=None, status=200):
    user = request.user
    keeper = keeps(user, member.organization) and user.has_perm("partybuilding.keep_party")
    context = {
        "member": member,
        "path": [*selectors.path_to(member.organization), member.organization],
        "revealed": revealed,
        "keeper": keeper,
        "may_reveal": user.has_perm("partybuilding.reveal_id_number") or member.user_id == user.pk,
        "transfers": list(selectors.transfers_of(member)),
        "teams": list(member.team_memberships.select_related("team")),
        "attendance": list(
            member.attendance.select_related("activity__organization").order_by("-activity__held_on")[:20]
        ),
        "transfer_form": transfer_form or (TransferForm() if keeper and member.left_on is None else None),
        "may_confirm": keeper and member.status == PartyMember.Status.PROBATIONARY,
        "today": clock.today(),
    }
    return render(request, "party/member.html", context, status=status)


@require_safe
@login_required
def member_page(request, pk):
    return _member_page(request, _member(request, pk))


@post_only("party:member", "pk")
@login_required
def member_act(request, pk, action):
    member = _member(request, pk)
    user = request.user
    url = reverse("party:member", args=[member.pk])
    if action == "reveal":
        try:
            number = member_services.reveal_id_number(user, member)
        except ACTION_REFUSALS as error:
            messages.error(request, refusal_message(error, user))
            return redirect(url)
        # Shown once, in this response only: the page's address never carries it.
        return _member_page(request, member, revealed=number)
    if action == "confirm":
        return done(request, url, lambda: member_services.confirm_full(user, member), _("已转为正式党员。"))
    if action == "transfer":
        form = TransferForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            # The member may leave the officer's reach: back to the organization they left.
            response = done(
                request,
                reverse("party:organization", args=[member.organization_id]),
                lambda: member_services.transfer(
                    user, member, to=data["to"], outside=data["outside"], on=data["on"], reason=data["reason"]
                ),
                _("已转接组织关系。"),
                form=form,
            )
            if response is not None:
                return response
        return _member_page(request, member, transfer_form=form, status=400)
    raise PermissionDenied(_("没有这个操作。"))
