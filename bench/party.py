"""Party building at scale: a tree of BENCH_PARTY_ORGANIZATIONS organizations (default 10,000: the working
committee, 20 committees, 25 general branches under each, branches under those) and BENCH_PARTY_MEMBERS members
(default 200,000) loaded in bulk, with the stored per-organization counters set from the rows. Then, p50/p95:

- subtree lists: an organization page's sub-organizations, each with its members counted with its own subtree
  (`selectors.subtree_member_counts`), for the working committee and for a committee; an officer's first page
  of the members of a committee's subtree (the strictest scope, `PartyMember.objects.for_user`);
- an organization's member count with its subtree (`selectors.member_count`: a sum over the subtree's stored
  counters) for the whole tree and for a committee, against the baseline of counting the member rows under the
  subtree's paths (what a page would do without the counters);
- the outcomes page of a team (`/party/teams/<pk>/`, rendered) linked to 20 projects, 3 problem categories, 2
  areas and every bundle — against whatever projects, problems and applications the earlier sections loaded.
"""

import datetime
import os

from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client

from sciencecity.accounts.models import User
from sciencecity.catalog.models import Bundle
from sciencecity.partybuilding.models import Officer, Organization, PartyMember, PioneerTeam, TeamLink
from sciencecity.partybuilding.selectors import member_count, members_of, subtree_member_counts
from sciencecity.problems.geo import areas
from sciencecity.problems.models import ProblemCategory
from sciencecity.projects.models import Project
from sciencecity.workdays import clock

from .scale import _execute, latency

ORGANIZATIONS = int(os.environ.get("BENCH_PARTY_ORGANIZATIONS", "10000"))
MEMBERS = int(os.environ.get("BENCH_PARTY_MEMBERS", "200000"))
COMMITTEES = 20
GENERAL = 25
NOW = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))

LOAD_MEMBERS = """
INSERT INTO partybuilding_partymember (name, id_number, gender, birth_date, phone, organization_id, user_id,
    status, joined_on, full_on, duties, workplace, left_on, left_to)
SELECT '党员' || g, 'B' || lpad(g::text, 17, '0'), CASE WHEN g %% 2 = 0 THEN 'female' ELSE 'male' END,
    date '1970-01-01' + (g %% 12000), '', (%(branches)s)[1 + g %% %(count)s], NULL,
    CASE WHEN g %% 10 = 0 THEN 'probationary' ELSE 'full' END, date '2000-01-01' + (g %% 9000), NULL, '', '',
    NULL, ''
FROM generate_series(1, %(members)s) AS g
"""
COUNT_MEMBERS = """
UPDATE partybuilding_organization AS o SET member_count = c.n
FROM (SELECT organization_id, count(*) AS n FROM partybuilding_partymember GROUP BY organization_id) AS c
WHERE c.organization_id = o.id
"""


def _path(*steps: int) -> str:
    return "".join(Organization._int2str(step).rjust(Organization.steplen, "0") for step in steps)


def load() -> dict:
    """The tree by bulk inserts (paths computed here, the way treebeard numbers them), then the members by
    one INSERT … SELECT, then the counters from the rows."""
    rows = [
        Organization(
            path=_path(1),
            depth=1,
            numchild=COMMITTEES,
            name="基准党工委",
            kind="working_committee",
            sector="organ",
        )
    ]
    branches_per_general = max(
        1, (ORGANIZATIONS - 1 - COMMITTEES - COMMITTEES * GENERAL) // (COMMITTEES * GENERAL)
    )
    for c in range(1, COMMITTEES + 1):
        rows.append(
            Organization(
                path=_path(1, c),
                depth=2,
                numchild=GENERAL,
                name=f"基准党委{c}",
                kind="committee",
                sector="enterprise",
            )
        )
        for g in range(1, GENERAL + 1):
            rows.append(
                Organization(
                    path=_path(1, c, g),
                    depth=3,
                    numchild=branches_per_general,
                    name=f"基准党总支{c}-{g}",
                    kind="general_branch",
                    sector="enterprise",
                )
            )
            for b in range(1, branches_per_general + 1):
                rows.append(
                    Organization(
                        path=_path(1, c, g, b),
                        depth=4,
                        numchild=0,
                        name=f"基准党支部{c}-{g}-{b}",
                        kind="branch",
                        sector="enterprise",
                    )
                )
    Organization.objects.bulk_create(rows, batch_size=2000)
    branches = list(Organization.objects.filter(kind="branch").values_list("pk", flat=True))
    _execute(LOAD_MEMBERS % {"branches": "ARRAY" + str(branches), "count": len(branches), "members": MEMBERS})
    _execute(COUNT_MEMBERS)
    _execute("ANALYZE partybuilding_organization")
    _execute("ANALYZE partybuilding_partymember")
    return {"organizations": Organization.objects.count(), "members": PartyMember.objects.count()}


def _team() -> PioneerTeam:
    root = Organization.objects.get(depth=1)
    team = PioneerTeam.objects.create(name="基准先锋队", mission="基准", organization=root)
    projects = list(Project.objects.filter(is_key=True).order_by("pk").values_list("pk", flat=True)[:20])
    links = [TeamLink(team=team, kind="project", project_id=pk) for pk in projects]
    links += [
        TeamLink(team=team, kind="category", category=c) for c in ProblemCategory.objects.order_by("pk")[:3]
    ]
    links += [TeamLink(team=team, kind="area", area=area.code) for area in areas()[:2]]
    bundles = {}
    for bundle in Bundle.objects.order_by("pk"):
        bundles.setdefault(bundle.code, bundle)
    links += [TeamLink(team=team, kind="bundle", bundle=bundle) for bundle in bundles.values()]
    TeamLink.objects.bulk_create(links)
    return team


def run(lines: list, figures: dict, runs: int) -> None:
    if connection.vendor != "postgresql":
        lines += ["## 10. Party building", "", "Skipped: needs PostgreSQL.", ""]
        return
    with clock.frozen_at(NOW):
        loaded = load()
        root = Organization.objects.get(depth=1)
        committee = Organization.objects.get(path=_path(1, 7))
        officer, _ = User.objects.get_or_create(
            username="bench-party-officer", defaults={"display_name": "基准书记"}
        )
        officer.groups.add(Group.objects.get(name="party_officer"))
        Officer.objects.get_or_create(user=officer, organization=root, title="secretary")
        officer = User.objects.get(pk=officer.pk)
        team = _team()
        client = Client(HTTP_HOST="localhost")  # an allowed host of the default settings
        client.force_login(officer)
        prefix = committee.path

        def children_of(organization):
            shown = list(Organization.objects.get_children(organization))
            return subtree_member_counts([organization, *shown])

        cases = {
            "sub-organizations of the working committee, counted with their subtrees": lambda: children_of(
                root
            ),
            "sub-organizations of a committee, counted with their subtrees": lambda: children_of(committee),
            "first page of a committee's members, officer's scope": lambda: list(
                members_of(officer, committee)[:50]
            ),
            "member count with subtree, whole tree (stored counters)": lambda: member_count(root),
            "member count with subtree, a committee (stored counters)": lambda: member_count(committee),
            "baseline: count the member rows under the whole tree": lambda: PartyMember.objects.filter(
                organization__path__startswith=root.path
            ).count(),
            "baseline: count the member rows under a committee": lambda: PartyMember.objects.filter(
                organization__path__startswith=prefix
            ).count(),
            "team outcomes page (rendered)": lambda: client.get(f"/party/teams/{team.pk}/"),
            "organization page of a committee (rendered)": lambda: client.get(
                f"/party/organizations/{committee.pk}/"
            ),
        }
        status = client.get(f"/party/teams/{team.pk}/").status_code
        assert status == 200, status
        results = {}
        for name, case in cases.items():
            p50, p95, count = latency(case, runs)
            results[name] = {"p50_ms": round(p50, 2), "p95_ms": round(p95, 2), "runs": count}
        assert member_count(root) == loaded["members"]
    figures["party"] = {**loaded, "team_page_status": status, "latency": results}
    lines += [
        "## 10. Party building",
        "",
        f"A tree of {loaded['organizations']:,} organizations (1 working committee, {COMMITTEES} committees, "
        f"{COMMITTEES * GENERAL} general branches, branches under them) and {loaded['members']:,} members, loaded "
        "in bulk; a team linked to 20 key projects, 3 problem categories, 2 areas and every bundle, over the "
        "projects, problems and applications the earlier sections loaded.",
        "",
        "| case | p50 ms | p95 ms | runs |",
        "|---|---|---|---|",
        *[f"| {name} | {row['p50_ms']} | {row['p95_ms']} | {row['runs']} |" for name, row in results.items()],
        "",
    ]
