"""Members: the ID number checked before anything is saved, masked everywhere, revealed only to the officers of
the member's organization or those above it (audited); the strictest scope of the platform, row by row;
probationary members confirmed through the transition table; transfers with history and counters."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sciencecity.audit.models import AuditEvent
from sciencecity.partybuilding import identity
from sciencecity.partybuilding.models import Organization, PartyMember, Transfer
from sciencecity.partybuilding.services import members, organizations
from sciencecity.workflow.errors import NotFound
from sciencecity.workflow.transitions import IllegalTransition
from tests.factories import EnterpriseFactory, UserFactory, applicant_of

from .conftest import id_number, member


def test_an_id_number_that_fails_its_check_digit_is_refused_and_nothing_is_saved(tree):
    good = id_number(7)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError) as error:
        members.register(
            tree["secretary"],
            tree["housing"],
            name="王敏",
            id_number=bad,
            joined_on=datetime.date(2010, 7, 1),
        )
    assert "校验位不正确" in str(error.value.message_dict["id_number"])
    assert not PartyMember.objects.exists()
    assert Organization.objects.get(pk=tree["housing"].pk).member_count == 0


@pytest.mark.parametrize(
    "number, words",
    [("50010619880517", "18位"), ("500106198802300012", "出生日期不存在"), ("990106198805170012", None)],
)
def test_other_bad_id_numbers_say_what_is_wrong(tree, number, words):
    if words is None:  # a region that does not exist, with a right check digit
        number, words = identity.make("990106", datetime.date(1988, 5, 17), 1), "地区码不存在"
    with pytest.raises(ValidationError) as error:
        member(tree["housing"], 1, id_number=number)
    assert words in str(error.value)


def test_registration_derives_birth_and_gender_and_audits_masked(tree):
    number = identity.make("500107", datetime.date(1990, 3, 8), 24)  # even order code: a woman
    person = member(tree["housing"], 1, name="李娜", id_number=number.lower())
    assert (person.birth_date, person.gender, person.id_number) == (
        datetime.date(1990, 3, 8),
        "female",
        number,
    )
    assert person.masked_id == number[:4] + "*" * 10 + number[-4:]
    event = AuditEvent.objects.get(action="partybuilding.register")
    assert number not in str(event.after) and person.masked_id in str(event.after)
    with pytest.raises(ValidationError) as error:
        member(tree["planning"], 2, id_number=number)
    assert "已经登记" in str(error.value)


def test_too_young_or_future_dates_are_refused(tree):
    with pytest.raises(ValidationError):
        member(tree["housing"], 1, joined_on=datetime.date(2000, 1, 1))  # born 1988: 11 years old
    with pytest.raises(ValidationError):
        member(tree["housing"], 1, joined_on=datetime.date(2030, 1, 1))
    with pytest.raises(ValidationError):
        member(tree["organs"], 1)  # members are registered in branches


def test_the_scope_is_the_officers_of_the_organization_and_above_and_the_member(tree):
    """Row by row: who reads which member."""
    housing = member(tree["housing"], 1, name="住建党员")
    planning = member(tree["planning"], 2, name="规自党员")
    site = member(tree["site"], 3, name="项目部党员")
    own_user = UserFactory(username="member-self")
    members.update(None, site, person=own_user)
    leader = UserFactory(username="zone-leader", roles=["leader"])
    supervisor = UserFactory(username="zone-supervisor", roles=["supervisor"])
    admin = UserFactory(username="zone-admin", roles=["administrator"], is_superuser=True, is_staff=True)
    officer_no_post = UserFactory(username="officer-no-post", roles=["party_officer"])
    enterprise_user = applicant_of(EnterpriseFactory())
    expected = {
        tree["root_officer"]: {housing.pk, planning.pk, site.pk},
        tree["secretary"]: {housing.pk},
        own_user: {site.pk},
        leader: set(),
        supervisor: set(),
        admin: set(),
        officer_no_post: set(),
        enterprise_user: set(),
    }
    for user, visible in expected.items():
        assert set(PartyMember.objects.for_user(user).values_list("pk", flat=True)) == visible, user.username


def test_revealing_the_id_number_is_for_officers_in_scope_and_audited(tree):
    person = member(tree["planning"], 5)
    assert members.reveal_id_number(tree["root_officer"], person) == person.id_number
    with pytest.raises(NotFound):
        members.reveal_id_number(tree["secretary"], person)  # another branch's member
    assert (
        AuditEvent.objects.filter(action="partybuilding.reveal_id", actor=tree["root_officer"]).count() == 1
    )


def test_a_probationary_member_is_confirmed_through_the_table(tree):
    person = member(tree["housing"], 1, status="probationary", joined_on=datetime.date(2025, 6, 1))
    with pytest.raises(ValidationError):
        members.confirm_full(tree["secretary"], person, on=datetime.date(2025, 12, 1))  # before a year
    person = members.confirm_full(tree["secretary"], person, on=datetime.date(2026, 6, 1))
    assert (person.status, person.full_on) == ("full", datetime.date(2026, 6, 1))
    with pytest.raises(IllegalTransition):
        members.confirm_full(tree["secretary"], person)


def test_a_transfer_moves_the_member_and_the_counters_with_history(tree):
    person = member(tree["housing"], 1)
    members.transfer(tree["secretary"], person, to=tree["site"], reason="调任项目部")
    person.refresh_from_db()
    assert person.organization_id == tree["site"].pk
    counts = dict(Organization.objects.values_list("pk", "member_count"))
    assert (counts[tree["housing"].pk], counts[tree["site"].pk]) == (0, 1)
    # Now out of the secretary's reach; the root officer moves it out of the zone.
    with pytest.raises(PermissionDenied):
        members.transfer(tree["secretary"], person, outside="四川省成都市某单位党支部")
    members.transfer(tree["root_officer"], person, outside="四川省成都市某单位党支部")
    person.refresh_from_db()
    assert person.left_on is not None and person.left_to.startswith("四川省")
    assert Organization.objects.get(pk=tree["site"].pk).member_count == 0
    assert Transfer.objects.filter(member=person).count() == 2
    with pytest.raises(ValidationError):
        members.transfer(tree["root_officer"], person, to=tree["housing"])


def test_a_transfer_names_one_destination(tree):
    person = member(tree["housing"], 1)
    with pytest.raises(ValidationError):
        members.transfer(tree["secretary"], person)
    with pytest.raises(ValidationError):
        members.transfer(tree["secretary"], person, to=tree["organs"])


def test_an_officer_without_a_post_keeps_nothing(tree):
    officer = UserFactory(username="no-post", roles=["party_officer"])
    with pytest.raises(PermissionDenied):
        members.register(
            officer,
            tree["housing"],
            name="新党员",
            id_number=id_number(9),
            joined_on=datetime.date(2015, 1, 1),
        )
    organizations.appoint(tree["root_officer"], tree["planning"], officer, "organization")
    officer = type(officer).objects.get(pk=officer.pk)
    members.register(
        officer, tree["planning"], name="新党员", id_number=id_number(9), joined_on=datetime.date(2015, 1, 1)
    )
