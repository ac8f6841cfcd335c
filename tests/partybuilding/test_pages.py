"""The party-building pages: an officer's tree, organization and member pages (masked ID, audited reveal, 404
outside the scope), registering a member with a bad ID number (400, the error on its field, nothing saved),
a move that would make a loop, teams with links and members, the outcomes' drill-down, activities with
attendance, alliances with the project's instructor, and every page in English."""

import pytest
from django.urls import reverse

from sciencecity.partybuilding.models import (
    Activity,
    Attendance,
    Organization,
    PartyMember,
    PioneerTeam,
    TeamLink,
)
from sciencecity.partybuilding.services import teams
from sciencecity.projects.models import EscortMember
from sciencecity.projects.services import escort
from tests.factories import ProjectFactory, UserFactory

from .conftest import id_number, member


def as_user(client, user):
    client.force_login(user)
    return client


def test_the_officer_starts_from_the_organizations_they_keep(client, tree):
    member(tree["housing"], 1)
    response = as_user(client, tree["root_officer"]).get(reverse("party:home"))
    assert response.status_code == 200
    assert [(org.name, count) for org, count in response.context["kept"]] == [("科学城党工委", 1)]
    home = client.get(reverse("home"))
    card = next(area for area in home.context["areas"] if area["title"] == "党建工作")
    assert card["counts"][0]["number"] == 1


def test_an_organization_page_counts_its_subtree_and_lists_masked_members(client, tree):
    person = member(tree["housing"], 1, name="陈红")
    response = as_user(client, tree["root_officer"]).get(
        reverse("party:organization", args=[tree["organs"].pk])
    )
    assert response.status_code == 200 and response.context["total"] == 1
    body = response.content.decode()
    assert person.masked_id in body and person.id_number not in body
    children = {child.name: count for child, count in response.context["children"]}
    assert children == {"住建局机关党支部": 1, "规自局机关党支部": 0}


def test_members_outside_the_scope_are_not_listed_and_answer_404(client, tree):
    other = member(tree["planning"], 2)
    as_user(client, tree["secretary"])
    assert client.get(reverse("party:member", args=[other.pk])).status_code == 404
    page = client.get(reverse("party:organization", args=[tree["organs"].pk]))
    assert page.status_code == 200 and other.name not in page.content.decode()
    leader = UserFactory(username="leader-x", roles=["leader"])
    assert as_user(client, leader).get(reverse("party:member", args=[other.pk])).status_code == 404


def test_registering_with_a_bad_check_digit_shows_the_error_and_saves_nothing(client, tree):
    good = id_number(3)
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    data = {"name": "赵强", "id_number": bad, "status": "full", "joined_on": "2012-07-01"}
    url = reverse("party:organization_act", args=[tree["housing"].pk, "member"])
    response = as_user(client, tree["secretary"]).post(url, data)
    assert response.status_code == 400
    assert "校验位不正确" in response.content.decode()
    assert not PartyMember.objects.exists()
    response = client.post(url, data | {"id_number": good})
    assert response.status_code == 302 and PartyMember.objects.get().name == "赵强"


def test_the_full_id_number_is_shown_once_after_an_audited_reveal(client, tree):
    person = member(tree["housing"], 1)
    as_user(client, tree["secretary"])
    page = client.get(reverse("party:member", args=[person.pk]))
    assert person.id_number not in page.content.decode()
    revealed = client.post(reverse("party:member_act", args=[person.pk, "reveal"]))
    assert revealed.status_code == 200 and person.id_number in revealed.content.decode()
    assert person.id_number not in client.get(reverse("party:member", args=[person.pk])).content.decode()


def test_a_move_under_its_own_subtree_is_refused_on_the_page(client, tree):
    # The page offers no such parent; a forged POST gets the form error and nothing moves.
    url = reverse("party:organization_act", args=[tree["group"].pk, "move"])
    response = as_user(client, tree["root_officer"]).post(url, {"parent": tree["site"].pk})
    assert response.status_code == 400
    assert Organization.objects.get(pk=tree["group"].pk).path == tree["group"].path


def test_a_transfer_on_the_page_returns_to_the_organization_left(client, tree):
    person = member(tree["housing"], 1)
    url = reverse("party:member_act", args=[person.pk, "transfer"])
    response = as_user(client, tree["root_officer"]).post(url, {"to": tree["site"].pk, "reason": "调动"})
    assert response.status_code == 302 and response.url == reverse(
        "party:organization", args=[tree["housing"].pk]
    )
    assert PartyMember.objects.get(pk=person.pk).organization_id == tree["site"].pk


def test_an_officer_forms_a_team_links_a_project_and_enlists_a_member(client, tree):
    project = ProjectFactory(is_key=True, warning_level="yellow")
    person = member(tree["housing"], 1, name="刘洋")
    as_user(client, tree["root_officer"])
    response = client.post(
        reverse("party:teams"),
        {"organization": tree["organs"].pk, "name": "审批改革红岩先锋队", "mission": "一件事一次办"},
    )
    team = PioneerTeam.objects.get()
    assert response.status_code == 302 and response.url == reverse("party:team", args=[team.pk])
    client.post(
        reverse("party:team_act", args=[team.pk, "link"]), {"kind": "project", "project": project.code}
    )
    bad = client.post(
        reverse("party:team_act", args=[team.pk, "link"]), {"kind": "project", "project": "nope"}
    )
    assert bad.status_code == 400 and TeamLink.objects.count() == 1
    client.post(reverse("party:team_act", args=[team.pk, "enlist"]), {"name": "刘洋", "role": "captain"})
    page = client.get(reverse("party:team", args=[team.pk]))
    assert page.context["outcomes"].counts["projects_yellow"] == 1
    assert [row.member.pk for row in page.context["members"]] == [person.pk]
    drill = client.get(page.context["outcome_urls"]["projects_yellow"])
    assert drill.status_code == 200 and drill.context["total"] == 1 and project.name in drill.content.decode()


def test_a_member_sees_figures_but_not_the_drill_down(client, tree):
    account = UserFactory(username="plain-member")
    member(tree["housing"], 1, person=account)
    team = teams.form_team(None, tree["organs"], name="先锋队", mission="使命")
    as_user(client, account)
    page = client.get(reverse("party:team", args=[team.pk]))
    assert page.status_code == 200 and not page.context["drill"]
    assert client.get(reverse("party:team_outcomes", args=[team.pk, "projects"])).status_code == 403


def test_recording_an_activity_with_attendance(client, tree):
    present, away = member(tree["housing"], 1), member(tree["housing"], 2)
    url = reverse("party:activity_new", args=[tree["housing"].pk])
    as_user(client, tree["secretary"])
    assert client.get(url).status_code == 200
    data = {
        "kind": "theme_day",
        "title": "主题党日:走进项目工地",
        "held_on": "2026-11-20",
        "hours": "3",
        "present": [present.pk],
    }
    assert client.post(url, data | {"held_on": "2026-12-20"}).status_code == 400  # not yet held
    assert client.post(url, data).status_code == 302
    activity = Activity.objects.get()
    assert activity.attendance_count == 1
    assert dict(Attendance.objects.values_list("member_id", "status")) == {
        present.pk: "present",
        away.pk: "absent",
    }
    assert client.get(reverse("party:activity", args=[activity.pk])).status_code == 200


def test_an_alliance_names_the_projects_escort_instructor(client, tree):
    project = ProjectFactory(is_key=True)
    instructor = UserFactory(username="instructor-li", display_name="李指导", roles=["party_officer"])
    escort.set_member(None, project, instructor, EscortMember.Role.INSTRUCTOR, "党建指导")
    as_user(client, tree["root_officer"])
    response = client.post(
        reverse("party:alliances"),
        {"lead": tree["organs"].pk, "name": "科学大道项目党建联盟", "project": project.code},
    )
    assert response.status_code == 302
    alliance = tree["organs"].led_alliances.get()
    client.post(
        reverse("party:alliance_join", args=[alliance.pk]),
        {"organization": tree["site"].pk, "side": "builder"},
    )
    page = client.get(reverse("party:alliance", args=[alliance.pk]))
    assert [row.user.pk for row in page.context["instructors"]] == [instructor.pk]
    assert {row.organization.pk for row in page.context["memberships"]} == {
        tree["organs"].pk,
        tree["site"].pk,
    }
    assert client.get(reverse("party:instructor", args=[instructor.pk])).status_code == 200


@pytest.mark.parametrize(
    "name, args",
    [
        ("party:home", []),
        ("party:tree", []),
        ("party:teams", []),
        ("party:alliances", []),
        ("party:activities", []),
        ("party:instructors", []),
    ],
)
def test_pages_speak_english(client, tree, name, args):
    as_user(client, tree["root_officer"])
    client.cookies["django_language"] = "en"
    response = client.get(reverse(name, args=args), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200


def test_people_without_party_work_are_refused(client, tree):
    from tests.factories import EnterpriseFactory, applicant_of

    outsider = applicant_of(EnterpriseFactory())
    assert as_user(client, outsider).get(reverse("party:home")).status_code == 403
    assert client.get(reverse("party:organization", args=[tree["root"].pk])).status_code == 403


def test_an_administrator_founds_the_root_and_gives_its_first_post(client, db):
    from sciencecity.partybuilding.models import Officer

    admin = UserFactory(username="zone-admin", roles=["administrator"], is_staff=True)
    officer = UserFactory(username="first-officer", roles=["party_officer"])
    as_user(client, admin)
    response = client.post(reverse("party:tree"), {"name": "科学城党工委", "sector": "organ"})
    assert response.status_code == 302
    root = Organization.objects.get()
    page = client.get(reverse("party:organization", args=[root.pk]))
    assert page.context["may_appoint_root"] and not page.context["keeper"]
    client.post(
        reverse("party:organization_act", args=[root.pk, "appoint"]),
        {"username": "first-officer", "title": "secretary"},
    )
    assert Officer.objects.filter(user=officer, organization=root).exists()
    # Below the root the administrator keeps nothing.
    child = Organization.objects.get(pk=root.pk)
    assert as_user(client, officer).get(reverse("party:organization", args=[child.pk])).context["keeper"]
    other = UserFactory(username="other-officer", roles=["party_officer"])
    assert (
        as_user(client, other).post(reverse("party:tree"), {"name": "另一个", "sector": "organ"}).status_code
        == 403
    )
