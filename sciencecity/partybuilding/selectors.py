"""Reads of the party-building pages and API: subtrees, counts with subtrees, members in scope, teams.

An organization's members with its subtree are the sum of the stored per-organization counters over the
subtree's rows (one indexed range of paths, at most the size of the tree), never a count over the members.
"""

from collections import defaultdict

from django.db.models import Count, Q, Sum

from .models import (
    Activity,
    Alliance,
    Officer,
    Organization,
    PartyMember,
    PioneerTeam,
    TeamLink,
    TeamMember,
    officer_paths,
    under,
)


def member_count(organization: Organization) -> int:
    """The organization's current members with those of every organization under it."""
    total = Organization.objects.filter(path__startswith=organization.path).aggregate(
        total=Sum("member_count")
    )
    return total["total"] or 0


def subtree_member_counts(organizations) -> dict[int, int]:
    """{pk: members with the subtree} for several organizations, in one query over their subtrees."""
    shown = {organization.path: organization.pk for organization in organizations}
    counts = dict.fromkeys(shown.values(), 0)
    if not shown:
        return counts
    steplen = Organization.steplen
    rows = Organization.objects.filter(under(shown)).values_list("path", "member_count")
    for path, count in rows.iterator(chunk_size=5000):
        for end in range(steplen, len(path) + 1, steplen):
            pk = shown.get(path[:end])
            if pk is not None:
                counts[pk] += count
    return counts


def children_of(organization: Organization | None, *, dissolved: bool = False):
    """The organizations right under `organization` (the roots for None), each with its children's count."""
    rows = (
        Organization.objects.get_root_nodes()
        if organization is None
        else Organization.objects.get_children(organization)
    )
    if not dissolved:
        rows = rows.filter(dissolved_on__isnull=True)
    return rows.select_related("department", "enterprise")


def path_to(organization: Organization) -> list[Organization]:
    """The organizations from the root down to `organization`'s parent, for the breadcrumbs."""
    return list(Organization.objects.filter(path__in=organization.ancestor_paths()[:-1]).order_by("depth"))


def kept_organizations(user):
    """The organizations whose posts `user` holds, nearest the root first (the officer's starting points)."""
    return Organization.objects.filter(path__in=officer_paths(user)).order_by("depth", "path")


def posts_of(organization: Organization):
    return Officer.objects.filter(organization=organization, until__isnull=True).select_related("user")


def members_of(user, organization: Organization, *, subtree: bool = True, query: str = "", status: str = ""):
    """The members of `organization` (and its subtree) that `user` may read, current ones only."""
    rows = PartyMember.objects.for_user(user).current().select_related("organization")
    if subtree:
        rows = rows.filter(organization__path__startswith=organization.path)
    else:
        rows = rows.filter(organization=organization)
    if query:
        rows = rows.filter(Q(name__contains=query) | Q(duties__contains=query))
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("organization__path", "name", "pk")


def transfers_of(member: PartyMember):
    return member.transfers.select_related("from_organization", "to_organization", "actor").order_by(
        "on", "pk"
    )


def teams(user, *, organization: Organization | None = None, query: str = ""):
    rows = PioneerTeam.objects.for_user(user).select_related("organization")
    if organization is not None:
        rows = rows.filter(organization__path__startswith=organization.path)
    if query:
        rows = rows.filter(Q(name__contains=query) | Q(mission__contains=query))
    return rows.annotate(member_total=Count("memberships", distinct=True)).order_by("-formed_on", "pk")


def links_of(team: PioneerTeam) -> dict[str, list[TeamLink]]:
    grouped = defaultdict(list)
    rows = team.links.select_related("project", "enterprise", "category", "bundle").order_by("kind", "pk")
    for row in rows:
        grouped[row.kind].append(row)
    return dict(grouped)


def team_members(team: PioneerTeam):
    return TeamMember.objects.filter(team=team).select_related("member__organization").order_by("role", "pk")


def alliances(user, *, project=None):
    rows = Alliance.objects.for_user(user).select_related("project", "lead")
    if project is not None:
        rows = rows.filter(project=project)
    return rows.annotate(organization_total=Count("memberships", distinct=True))


def activities(
    user, *, organization: Organization | None = None, alliance: Alliance | None = None, year=None
):
    rows = Activity.objects.for_user(user).select_related("organization", "alliance")
    if organization is not None:
        rows = rows.filter(organization__path__startswith=organization.path)
    if alliance is not None:
        rows = rows.filter(alliance=alliance)
    if year:
        rows = rows.filter(held_on__year=year)
    return rows.order_by("-held_on", "-pk")
