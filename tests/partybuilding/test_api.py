"""The party-building API: errors name their field and save nothing, ID numbers are masked in every answer
but the audited reveal, a move into the own subtree is a 400, the outcomes' rows match their figure."""

import datetime

from rest_framework.test import APIClient

from sciencecity.partybuilding.models import Organization, PartyMember
from sciencecity.partybuilding.services import teams
from tests.factories import ProjectFactory

from .conftest import id_number, member

API = "/api/v1/"


def client_of(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_authenticate(user)
    return client


def test_registering_through_the_api_checks_the_id_number(tree):
    client = client_of(tree["secretary"])
    good = id_number(4)
    bad = good[:-1] + ("3" if good[-1] != "3" else "4")
    body = {"organization": tree["housing"].pk, "name": "周杰", "id_number": bad, "joined_on": "2011-07-01"}
    response = client.post(API + "party-members/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "id_number" and not PartyMember.objects.exists()
    response = client.post(API + "party-members/", body | {"id_number": good}, format="json")
    assert response.status_code == 201 and response.json()["id_number"] == good[:4] + "*" * 10 + good[-4:]
    listed = client.get(API + "party-members/").json()["results"]
    assert [row["name"] for row in listed] == ["周杰"] and good not in str(listed)
    revealed = client.post(API + f"party-members/{listed[0]['id']}/reveal-id-number/")
    assert revealed.json() == {"id_number": good}


def test_a_move_into_the_own_subtree_is_a_400(tree):
    client = client_of(tree["root_officer"])
    response = client.post(
        API + f"party-organizations/{tree['group'].pk}/move/", {"parent": tree["site"].pk}, format="json"
    )
    assert response.status_code == 400
    assert Organization.objects.get(pk=tree["group"].pk).path == tree["group"].path


def test_the_tree_is_listed_by_parent_with_subtree_counts(tree):
    member(tree["housing"], 1)
    client = client_of(tree["secretary"])
    roots = client.get(API + "party-organizations/?parent=0").json()["results"]
    assert [row["name"] for row in roots] == ["科学城党工委"]
    children = client.get(API + f"party-organizations/?parent={tree['organs'].pk}").json()["results"]
    assert [row["name"] for row in children] == ["住建局机关党支部", "规自局机关党支部"]
    assert all(row["parent"] == tree["organs"].pk for row in children)
    detail = client.get(API + f"party-organizations/{tree['root'].pk}/").json()
    assert detail["members_with_subtree"] == 1 and detail["officers"][0]["title"] == "secretary"


def test_a_teams_outcome_rows_are_its_figure(tree):
    projects = [ProjectFactory(is_key=True, warning_level="red") for _ in range(3)]
    team = teams.form_team(
        None, tree["organs"], name="先锋队", mission="使命", formed_on=datetime.date(2026, 1, 5)
    )
    for project in projects:
        teams.link(None, team, "project", project)
    client = client_of(tree["root_officer"])
    figures = client.get(API + f"party-teams/{team.pk}/outcomes/?year=2026").json()
    rows = client.get(API + f"party-teams/{team.pk}/outcomes/projects_red/?year=2026").json()["results"]
    assert figures["projects_red"] == len(rows) == 3
    assert {row["id"] for row in rows} == {project.pk for project in projects}
    assert client.get(API + f"party-teams/{team.pk}/outcomes/nothing/").status_code == 404


def test_evaluations_through_the_api_refuse_points_over_a_cap(tree):
    client = client_of(tree["root_officer"])
    body = {
        "owner": tree["root"].pk,
        "name": "2026年度党员积分",
        "kind": "member_points",
        "year": 2026,
        "base_points": "60",
        "indicators": [{"name": "作出贡献", "source": "manual", "cap": "10"}],
    }
    scheme = client.post(API + "party-schemes/", body, format="json").json()
    person = member(tree["housing"], 1)
    client.post(API + f"party-schemes/{scheme['id']}/open/")
    rows = client.get(API + f"party-evaluations/?scheme={scheme['id']}").json()["results"]
    assert [row["member"] for row in rows] == [person.pk]
    indicator = scheme["indicators"][0]["id"]
    over = client.post(
        API + f"party-evaluations/{rows[0]['id']}/submit/", {"claimed": {str(indicator): "11"}}, format="json"
    )
    assert over.status_code == 400 and "最多 10" in over.json()["detail"]
    done = client.post(
        API + f"party-evaluations/{rows[0]['id']}/submit/", {"claimed": {str(indicator): "8"}}, format="json"
    )
    assert done.status_code == 200 and done.json()["status"] == "submitted" and done.json()["total"] == "68.0"
