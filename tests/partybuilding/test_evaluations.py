"""Evaluation schemes as data: indicators with caps, star thresholds, a quota; self-assessment → review →
published result on the shared transition table; points over a cap refused with nothing saved; activity
points counted from the records; a veto; the quota refusing a publication as a whole."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sciencecity.partybuilding.models import Evaluation, Score
from sciencecity.partybuilding.services import activities
from sciencecity.partybuilding.services import evaluations as schemes
from sciencecity.workflow.transitions import IllegalTransition

from .conftest import member

INDICATORS = [
    {"name": "政治功能强", "source": "manual", "cap": 30},
    {
        "name": "组织生活规范(主题党日每次2分)",
        "source": "activity",
        "cap": 20,
        "per_item": 2,
        "activity_kind": "theme_day",
    },
    {"name": "作风建设好", "source": "manual", "cap": 30},
    {"name": "问题按期办结", "source": "outcome", "cap": 20, "outcome": "problems_on_time_rate"},
    {"name": "发生严重违纪", "source": "veto"},
]


@pytest.fixture
def scheme(tree):
    return schemes.define_scheme(
        tree["root_officer"],
        tree["root"],
        name="2026年度“四强支部”星级评定",
        kind="organization_stars",
        year=2026,
        subject_kinds=["branch"],
        indicators=INDICATORS,
        thresholds=[[5, 90], [4, 80], [3, 70]],
        quota_percent=34,
    )


def test_a_bad_indicator_is_named_and_nothing_is_saved(tree):
    rows = [*INDICATORS[:1], {"name": "活动", "source": "activity", "cap": 10, "activity_kind": "theme_day"}]
    with pytest.raises(ValidationError) as error:
        schemes.define_scheme(
            tree["root_officer"],
            tree["root"],
            name="方案",
            kind="organization_stars",
            year=2026,
            subject_kinds=["branch"],
            indicators=rows,
        )
    assert "indicators.1" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        schemes.define_scheme(
            tree["root_officer"],
            tree["root"],
            name="方案",
            kind="organization_stars",
            year=2026,
            subject_kinds=["branch"],
            indicators=INDICATORS,
            thresholds=[[5, 80], [4, 90]],
        )
    assert "thresholds" in error.value.message_dict
    assert not tree["root"].schemes.exists()


def test_self_assessment_review_and_publication(tree, scheme):
    assert schemes.open_scheme(tree["root_officer"], scheme) == 3  # the three branches
    assert schemes.open_scheme(tree["root_officer"], scheme) == 0  # again: none new
    housing = Evaluation.objects.get(scheme=scheme, organization=tree["housing"])
    for day in (3, 10, 17):
        activities.record_activity(
            None, tree["housing"], kind="theme_day", title="主题党日", held_on=datetime.date(2026, 10, day)
        )
    manual = {i.name: i.pk for i in scheme.indicators.all()}
    claimed = {manual["政治功能强"]: 30, manual["作风建设好"]: 28}
    # Points over a cap: refused, nothing saved.
    with pytest.raises(ValidationError) as error:
        schemes.submit(tree["secretary"], housing, claimed={**claimed, manual["作风建设好"]: 31})
    assert "最多 30" in str(error.value)
    assert not Score.objects.exists() and Evaluation.objects.get(pk=housing.pk).status == "draft"
    housing = schemes.submit(tree["secretary"], housing, claimed=claimed, note="支部建设扎实")
    assert housing.status == "submitted"
    activity_score = housing.scores.get(indicator__source="activity")
    assert activity_score.computed == Decimal("6") and "3 次" in activity_score.basis
    # Not reviewed by its own secretary: from above.
    with pytest.raises(PermissionDenied):
        schemes.review(tree["secretary"], housing, granted=claimed)
    housing = schemes.review(
        tree["root_officer"],
        housing,
        granted={manual["政治功能强"]: 29, manual["作风建设好"]: 27},
        note="同意",
    )
    assert housing.status == "reviewed" and housing.total == Decimal("62") and housing.stars is None
    with pytest.raises(IllegalTransition):
        schemes.submit(tree["secretary"], housing, claimed=claimed)
    assert schemes.publish(tree["root_officer"], scheme) == 1
    assert Evaluation.objects.get(pk=housing.pk).status == "published"


def test_a_veto_leaves_no_stars(tree, scheme):
    schemes.open_scheme(None, scheme)
    evaluation = Evaluation.objects.get(scheme=scheme, organization=tree["site"])
    manual = [i.pk for i in scheme.indicators.filter(source="manual")]
    schemes.submit(None, evaluation, claimed=dict.fromkeys(manual, 30))
    veto = scheme.indicators.get(source="veto").pk
    evaluation = schemes.review(None, evaluation, granted=dict.fromkeys(manual, 30), vetoes=[veto])
    assert evaluation.vetoed and evaluation.stars is None


def test_the_quota_refuses_a_publication_as_a_whole(tree, scheme):
    schemes.open_scheme(None, scheme)
    scheme.base_points = 40
    scheme.save()
    manual = [i.pk for i in scheme.indicators.filter(source="manual")]
    for evaluation in Evaluation.objects.filter(scheme=scheme):
        schemes.submit(None, evaluation, claimed=dict.fromkeys(manual, 30))
        schemes.review(None, evaluation, granted=dict.fromkeys(manual, 30))
    # 40 + 60 = 100 for all three: five stars, but the quota (34% of 3) allows one.
    with pytest.raises(ValidationError) as error:
        schemes.publish(tree["root_officer"], scheme)
    assert "名额为 1 个" in str(error.value)
    assert not Evaluation.objects.filter(status="published").exists()


def test_member_points_count_attendance(tree):
    person = member(tree["housing"], 1)
    scheme = schemes.define_scheme(
        None,
        tree["root"],
        name="2026年度党员积分",
        kind="member_points",
        year=2026,
        base_points=60,
        indicators=[
            {
                "name": "参加主题党日",
                "source": "activity",
                "cap": 4,
                "per_item": 2,
                "activity_kind": "theme_day",
            },
            {"name": "作出贡献", "source": "manual", "cap": 10},
        ],
    )
    schemes.open_scheme(None, scheme)
    for day in (3, 10, 17):
        activities.record_activity(
            None,
            tree["housing"],
            kind="theme_day",
            title="主题党日",
            held_on=datetime.date(2026, 10, day),
            attendance={person.pk: "present"},
        )
    evaluation = Evaluation.objects.get(scheme=scheme, member=person)
    contribution = scheme.indicators.get(source="manual").pk
    evaluation = schemes.submit(tree["secretary"], evaluation, claimed={contribution: 5})
    assert evaluation.total == Decimal("69")  # 60 + min(4, 3 × 2) + 5


def test_the_pages_define_open_self_assess_review_and_publish(client, tree):
    from django.urls import reverse

    client.force_login(tree["root_officer"])
    data = {
        "owner": tree["root"].pk,
        "name": "2026年度“四强支部”星级评定",
        "kind": "organization_stars",
        "year": 2026,
        "subject_kinds": ["branch"],
        "base_points": "0",
        "thresholds": "5:90, 4:80, 3:70",
        "indicators": "政治功能强|自评|50\n组织生活规范|活动|50|5|主题党日\n发生严重违纪|否决",
    }
    bad = client.post(reverse("party:schemes"), data | {"indicators": "政治功能强|自评|abc"})
    assert bad.status_code == 400 and not tree["root"].schemes.exists()
    response = client.post(reverse("party:schemes"), data)
    scheme = tree["root"].schemes.get()
    assert response.status_code == 302 and scheme.indicators.count() == 3
    client.post(reverse("party:scheme_act", args=[scheme.pk, "open"]))
    evaluation = Evaluation.objects.get(scheme=scheme, organization=tree["housing"])
    manual = scheme.indicators.get(source="manual")
    client.force_login(tree["secretary"])
    page = client.get(reverse("party:evaluation", args=[evaluation.pk]))
    assert page.context["may_self"] and not page.context["may_review"]
    client.post(
        reverse("party:evaluation_act", args=[evaluation.pk, "submit"]), {f"claimed-{manual.pk}": "51"}
    )
    assert Evaluation.objects.get(pk=evaluation.pk).status == "draft"  # over the cap: refused
    client.post(
        reverse("party:evaluation_act", args=[evaluation.pk, "submit"]), {f"claimed-{manual.pk}": "45"}
    )
    assert Evaluation.objects.get(pk=evaluation.pk).status == "submitted"
    client.force_login(tree["root_officer"])
    assert client.get(reverse("party:evaluation", args=[evaluation.pk])).context["may_review"]
    client.post(
        reverse("party:evaluation_act", args=[evaluation.pk, "review"]), {f"granted-{manual.pk}": "40"}
    )
    client.post(reverse("party:scheme_act", args=[scheme.pk, "publish"]))
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.total) == ("published", Decimal("40"))
    # Published organizations' results are read by members too.
    from tests.factories import UserFactory

    account = UserFactory(username="a-member")
    member(tree["site"], 9, person=account)
    client.force_login(account)
    listed = client.get(reverse("party:scheme", args=[scheme.pk])).context["page"]["rows"]
    assert [row.pk for row in listed] == [evaluation.pk]
