"""The organization tree: kinds under the right parents, moves that keep the tree a tree, mergers that carry
members and sub-organizations with history, dissolutions that orphan nobody, officers' reach."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sciencecity.audit.models import AuditEvent
from sciencecity.partybuilding import selectors
from sciencecity.partybuilding.models import Organization, OrganizationEvent, PartyMember, Transfer
from sciencecity.partybuilding.services import organizations

from .conftest import K, S, member


def test_a_kind_sits_only_under_the_kinds_it_belongs_to(tree):
    with pytest.raises(ValidationError) as error:
        organizations.found(None, tree["housing"], name="错误的党委", kind=K.COMMITTEE, sector=S.ORGAN)
    assert "党委不能设在党支部之下" in str(error.value)
    group = organizations.found(None, tree["housing"], name="第一党小组", kind=K.GROUP, sector=S.ORGAN)
    assert Organization.objects.get_parent(group).pk == tree["housing"].pk and group.depth == 4
    assert OrganizationEvent.objects.filter(organization=group, kind="founded").exists()


def test_a_move_that_would_make_a_loop_is_refused_and_changes_nothing(tree):
    paths = dict(Organization.objects.values_list("pk", "path"))
    with pytest.raises(ValidationError) as error:
        organizations.move(tree["root_officer"], tree["group"], tree["site"])
    assert "不能把党组织调整到它自己或它的下级组织之下" in str(error.value)
    assert dict(Organization.objects.values_list("pk", "path")) == paths
    assert not OrganizationEvent.objects.filter(kind="moved").exists()


def test_a_move_carries_the_subtree_and_keeps_history(tree):
    member(tree["site"], 1)
    organizations.move(tree["root_officer"], tree["site"], tree["organs"], note="项目竣工,划转机关党委")
    site = Organization.objects.get(pk=tree["site"].pk)
    assert Organization.objects.get_parent(site).pk == tree["organs"].pk
    assert selectors.member_count(Organization.objects.get(pk=tree["organs"].pk)) == 1
    assert selectors.member_count(Organization.objects.get(pk=tree["group"].pk)) == 0
    event = OrganizationEvent.objects.get(organization=site, kind="moved")
    assert (event.before, event.after) == ("科学城建设集团党委", "科学城机关党委")
    assert AuditEvent.objects.filter(action="partybuilding.move", target_id=str(site.pk)).count() == 1


def test_only_the_keepers_of_both_sides_move(tree):
    with pytest.raises(PermissionDenied):
        organizations.move(tree["secretary"], tree["housing"], tree["group"])
    with pytest.raises(PermissionDenied):
        organizations.found(tree["secretary"], tree["planning"], name="小组", kind=K.GROUP, sector=S.ORGAN)


def test_a_merger_transfers_members_and_children_and_dissolves(tree):
    first, second = member(tree["planning"], 1), member(tree["planning"], 2)
    organizations.found(None, tree["planning"], name="规划科党小组", kind=K.GROUP, sector=S.ORGAN)
    organizations.merge(tree["root_officer"], tree["planning"], tree["housing"], note="机构改革")
    planning = Organization.objects.get(pk=tree["planning"].pk)
    housing = Organization.objects.get(pk=tree["housing"].pk)
    assert planning.dissolved_on is not None and planning.merged_into_id == housing.pk
    assert set(PartyMember.objects.filter(organization=housing).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    assert (planning.member_count, housing.member_count) == (0, 2)
    assert [child.name for child in Organization.objects.get_children(housing)] == ["规划科党小组"]
    assert Transfer.objects.filter(from_organization=planning, to_organization=housing).count() == 2
    assert OrganizationEvent.objects.filter(kind="merged").count() == 2


def test_a_merger_into_its_own_subtree_is_refused(tree):
    with pytest.raises(ValidationError):
        organizations.merge(tree["root_officer"], tree["organs"], tree["housing"])
    assert Organization.objects.get(pk=tree["organs"].pk).dissolved_on is None


def test_dissolving_an_organization_with_members_is_refused(tree):
    member(tree["site"], 1)
    with pytest.raises(ValidationError) as error:
        organizations.dissolve(tree["root_officer"], tree["site"])
    assert "还有党员" in str(error.value)
    with pytest.raises(ValidationError):
        organizations.dissolve(tree["root_officer"], tree["group"])
    assert Organization.objects.active().count() == 6


def test_subtree_counts_sum_the_stored_counters(tree):
    for order in range(1, 4):
        member(tree["housing"], order)
    member(tree["site"], 4)
    counts = selectors.subtree_member_counts(Organization.objects.all())
    assert counts[tree["root"].pk] == 4 and counts[tree["organs"].pk] == 3 and counts[tree["group"].pk] == 1
    assert selectors.member_count(tree["root"]) == 4
    assert (
        sum(Organization.objects.values_list("member_count", flat=True))
        == PartyMember.objects.current().count()
    )
