"""A small zone tree for the party-building tests (the suite's day is 2026-11-24):

科学城党工委 (root; officer `root-officer`)
├── 科学城机关党委 (organ committee)
│   ├── 住建局机关党支部 (branch; secretary `branch-secretary`)
│   └── 规自局机关党支部 (branch)
└── 科学城建设集团党委 (committee)
    └── 项目部党支部 (branch)
"""

import datetime

import pytest

from sciencecity.partybuilding import identity
from sciencecity.partybuilding.models import Organization
from sciencecity.partybuilding.services import members, organizations
from tests.factories import UserFactory

K = Organization.Kind
S = Organization.Sector


def id_number(order: int, born=datetime.date(1988, 5, 17)) -> str:
    return identity.make("500106", born, order)


FOUNDED = datetime.date(2020, 7, 1)


def _found(parent, name, kind, sector):
    return organizations.found(None, parent, name=name, kind=kind, sector=sector, established_on=FOUNDED)


@pytest.fixture
def tree(db):
    root = _found(None, "科学城党工委", K.WORKING_COMMITTEE, S.ORGAN)
    organs = _found(root, "科学城机关党委", K.ORGAN_COMMITTEE, S.ORGAN)
    housing = _found(organs, "住建局机关党支部", K.BRANCH, S.ORGAN)
    planning = _found(organs, "规自局机关党支部", K.BRANCH, S.ORGAN)
    group = _found(root, "科学城建设集团党委", K.COMMITTEE, S.BUILDER)
    site = _found(group, "项目部党支部", K.BRANCH, S.BUILDER)
    root_officer = UserFactory(username="root-officer", roles=["party_officer"])
    secretary = UserFactory(username="branch-secretary", roles=["party_officer"])
    organizations.appoint(None, root, root_officer, "secretary")
    organizations.appoint(None, housing, secretary, "secretary")
    return {
        "root": Organization.objects.get(pk=root.pk),
        "organs": Organization.objects.get(pk=organs.pk),
        "housing": Organization.objects.get(pk=housing.pk),
        "planning": Organization.objects.get(pk=planning.pk),
        "group": Organization.objects.get(pk=group.pk),
        "site": Organization.objects.get(pk=site.pk),
        "root_officer": type(root_officer).objects.get(pk=root_officer.pk),
        "secretary": type(secretary).objects.get(pk=secretary.pk),
    }


def member(organization, order: int, name: str = "", **fields):
    values = {
        "name": name or f"党员{order}",
        "id_number": id_number(order),
        "joined_on": datetime.date(2015, 7, 1),
    }
    return members.register(None, organization, **(values | fields))
