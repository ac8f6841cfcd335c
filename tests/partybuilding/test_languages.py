"""Every party-building page reads as Chinese in Chinese mode and as English in English mode (outside the data
people entered, marked `data-user-text`), with a tree, members, a team with links, an alliance, an activity and
an evaluation in place."""

import datetime

import pytest
from django.urls import reverse

from sciencecity.partybuilding.models import Evaluation
from sciencecity.partybuilding.services import activities, teams
from sciencecity.partybuilding.services import evaluations as schemes
from sciencecity.projects.models import EscortMember
from sciencecity.projects.services import escort
from tests.factories import ProjectFactory
from tests.pages.visible_text import language_leaks

from .conftest import member


@pytest.fixture
def pages(tree):
    project = ProjectFactory(is_key=True, warning_level="yellow")
    escort.set_member(None, project, tree["secretary"], EscortMember.Role.INSTRUCTOR, "")
    person = member(tree["housing"], 1, name="陈红")
    team = teams.form_team(None, tree["organs"], name="先锋队", mission="使命")
    teams.link(None, team, "project", project)
    teams.enlist(None, team, person)
    alliance = teams.form_alliance(None, project, tree["organs"], name="联盟")
    activity = activities.record_activity(
        None,
        tree["housing"],
        kind="theme_day",
        title="主题党日",
        held_on=datetime.date(2026, 11, 2),
        attendance={person.pk: "present"},
    )
    scheme = schemes.define_scheme(
        None,
        tree["root"],
        name="星级评定",
        kind="organization_stars",
        year=2026,
        subject_kinds=["branch"],
        indicators=[
            {"name": "政治功能强", "source": "manual", "cap": 50},
            {"name": "违纪", "source": "veto"},
        ],
        thresholds=[[5, 45]],
    )
    schemes.open_scheme(None, scheme)
    evaluation = Evaluation.objects.get(scheme=scheme, organization=tree["housing"])
    return [
        reverse("party:home"),
        reverse("party:tree"),
        reverse("party:organization", args=[tree["housing"].pk]),
        reverse("party:member", args=[person.pk]),
        reverse("party:teams"),
        reverse("party:team", args=[team.pk]),
        reverse("party:team_outcomes", args=[team.pk, "projects"]),
        reverse("party:alliances"),
        reverse("party:alliance", args=[alliance.pk]),
        reverse("party:activities"),
        reverse("party:activity", args=[activity.pk]),
        reverse("party:activity_new", args=[tree["housing"].pk]),
        reverse("party:instructors"),
        reverse("party:instructor", args=[tree["secretary"].pk]),
        reverse("party:schemes"),
        reverse("party:scheme", args=[scheme.pk]),
        reverse("party:evaluation", args=[evaluation.pk]),
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_party_page_speaks_one_language(client, tree, pages, language):
    client.force_login(tree["root_officer"])
    leaks = language_leaks(client, pages, language)
    assert not leaks, leaks
