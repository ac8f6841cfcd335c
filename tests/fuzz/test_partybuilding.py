"""Fuzzing party building's two state machines: evaluations (partybuilding.services.evaluations,
`EVALUATIONS`: self-assessment, review or return, publication of a scheme's reviewed results under its quota)
and members (partybuilding.services.members, `MEMBER_STATUS`: a probationary member confirmed as a full member,
beside corrections and transfers that must not change the status), by random people.

The world, a small zone tree:

    科学城党工委 (root; officer `root`)
    ├── 科学城机关党委 (organ committee; officer `organs`)
    │   ├── 住建局机关党支部 (branch; secretary `housing`)
    │   └── 规自局机关党支部 (branch)
    └── 科学城建设集团党委 (committee)
        └── 项目部党支部 (branch; secretary `site`)

with a party officer holding no post, a leader, and a scheme of the root for its branches (two manual
indicators of 30 points, a veto; five stars from 50 points with a quota of 34 %: one five-star branch of the
three), opened: one evaluation per branch, the site branch's reviewed already. Members: three probationary ones (one who joined two years ago, one
three months ago, one in another branch) and a full one.

After every step: each evaluation and member is in a state its table reaches; the evaluations' trails replay
to their states — their own events (`partybuilding.submit_evaluation`, `review_evaluation`,
`return_evaluation`, which name the action but not the states) mapped through the table, and the scheme's
`partybuilding.publish_evaluations` (which says how many it published, not which) publishing exactly the
evaluations the replay has reviewed at that point; each evaluation's totals and stars agree with its scores
and the scheme's thresholds, the five-star ratings published stay within the quota; a member is full exactly
when it has a date of becoming one; each organization's member count is its current members; a refused
action changed nothing.
"""

import datetime
import math
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from sciencecity.partybuilding.models import (
    Evaluation,
    EvaluationScheme,
    Organization,
    PartyMember,
    Score,
    Transfer,
)
from sciencecity.partybuilding.services import evaluations as schemes
from sciencecity.partybuilding.services import members, organizations
from sciencecity.workdays import clock
from tests.factories import UserFactory
from tests.partybuilding.conftest import id_number

from .harness import (
    CREATE,
    RIGHT,
    TARGET,
    VARIANT,
    ServiceMachine,
    Tally,
    actors,
    machine_settings,
    pick,
    reachable,
    replay,
    sources,
    trails_of,
)

pytestmark = pytest.mark.django_db

E = Evaluation.Status
M = PartyMember.Status
K = Organization.Kind
EVALUATION_TABLE = list(schemes.EVALUATIONS)
MEMBER_TABLE = list(members.MEMBER_STATUS)
EVALUATION_ACTIONS = {
    "partybuilding.submit_evaluation": "submit",
    "partybuilding.review_evaluation": "review",
    "partybuilding.return_evaluation": "return",
}
MEMBER_ACTIONS = {
    "partybuilding.register": CREATE,
    "partybuilding.confirm_full": "confirm_full",
    "partybuilding.update_member": None,
    "partybuilding.transfer": None,
    "partybuilding.reveal_id": None,
}
PEOPLE = ("root", "organs", "housing", "site", "postless", "leader")
INDICATORS = [
    {"name": "政治功能强", "source": "manual", "cap": 30},
    {"name": "作风建设好", "source": "manual", "cap": 30},
    {"name": "发生严重违纪", "source": "veto"},
]
THRESHOLDS = [[5, 50], [4, 40], [3, 30]]


def make_world():
    founded = datetime.date(2020, 7, 1)

    def found(parent, name, kind):
        return organizations.found(None, parent, name=name, kind=kind, sector="organ", established_on=founded)

    root = found(None, "科学城党工委", K.WORKING_COMMITTEE)
    organs = found(root, "科学城机关党委", K.ORGAN_COMMITTEE)
    housing = found(organs, "住建局机关党支部", K.BRANCH)
    planning = found(organs, "规自局机关党支部", K.BRANCH)
    group = found(root, "科学城建设集团党委", K.COMMITTEE)
    site = found(group, "项目部党支部", K.BRANCH)
    people = {name: UserFactory(username=f"party-{name}", roles=["party_officer"]) for name in PEOPLE[:5]}
    people["leader"] = UserFactory(username="party-leader", roles=["leader"])
    for name, organization in (("root", root), ("organs", organs), ("housing", housing), ("site", site)):
        organizations.appoint(None, organization, people[name], "secretary")
    people = {name: type(user).objects.get(pk=user.pk) for name, user in people.items()}
    scheme = schemes.define_scheme(
        people["root"],
        root,
        name="“四强支部”星级评定",
        kind="organization_stars",
        year=clock.today().year,
        subject_kinds=["branch"],
        indicators=INDICATORS,
        thresholds=THRESHOLDS,
        quota_percent=34,
    )
    schemes.open_scheme(people["root"], scheme)
    # The site branch's evaluation is reviewed already (four stars), ready to be published.
    site_evaluation = scheme.evaluations.get(organization=site)
    first, second = scheme.indicators.filter(source="manual").order_by("order")
    schemes.submit(people["site"], site_evaluation, claimed={first.pk: 30, second.pk: 15})
    schemes.review(people["root"], site_evaluation, granted={first.pk: 30, second.pk: 10})
    today = clock.today()

    def register(organization, order, **fields):
        values = {
            "name": f"党员{order}",
            "id_number": id_number(order),
            "joined_on": today - datetime.timedelta(days=800),
        }
        return members.register(None, organization, **(values | fields))

    baseline_members = [
        register(housing, 1, status=M.PROBATIONARY).pk,
        register(housing, 2, status=M.PROBATIONARY, joined_on=today - datetime.timedelta(days=90)).pk,
        register(site, 3, status=M.PROBATIONARY).pk,
        register(planning, 4).pk,
    ]
    tree = {
        "root": root,
        "organs": organs,
        "housing": housing,
        "planning": planning,
        "group": group,
        "site": site,
    }
    return SimpleNamespace(
        people=people,
        organizations={code: Organization.objects.get(pk=o.pk) for code, o in tree.items()},
        scheme=scheme,
        members=baseline_members,
        # Who self-assesses each branch (its keepers), and who reviews it (the keepers of its parent).
        assessor={housing.pk: "housing", planning.pk: "organs", site.pk: "site"},
        reviewer={housing.pk: "organs", planning.pk: "organs", site.pk: "root"},
    )


class PartyMachine(ServiceMachine):
    watched = (Evaluation, Score, EvaluationScheme, PartyMember, Organization, Transfer)

    def who(self, name, right):
        return self.world.people[right if name == RIGHT else name]

    def evaluation(self, target, *actions) -> Evaluation:
        rows = list(
            Evaluation.objects.filter(scheme=self.world.scheme).order_by("pk").values_list("pk", "status")
        )
        ready = [pk for pk, status in rows if status in sources(EVALUATION_TABLE, *actions)]
        pk = pick([pk for pk, _status in rows], ready, target)
        return Evaluation.objects.select_related("organization").get(pk=pk)

    def manual(self):
        return list(self.world.scheme.indicators.filter(source="manual").order_by("order"))

    def points(self, variant):
        """Variant 0: 30 and 28 points; 1: one over its cap; 2: one missing; 3: low marks."""
        first, second = self.manual()
        given = {first.pk: (30, 31, 30, 10)[variant], second.pk: (28, 28, None, 12)[variant]}
        return {key: value for key, value in given.items() if value is not None}

    # --- evaluations --------------------------------------------------------------------------------------

    @rule(which=TARGET, actor=actors(*PEOPLE), variant=VARIANT)
    def submit(self, which, actor, variant):
        evaluation = self.evaluation(which, "submit")
        user = self.who(actor, self.world.assessor[evaluation.organization_id])
        claimed = self.points(variant)
        self.attempt("submit", lambda: schemes.submit(user, evaluation, claimed=claimed, note="自评"))

    @rule(which=TARGET, actor=actors(*PEOPLE), variant=VARIANT, veto=st.booleans())
    def review(self, which, actor, variant, veto):
        evaluation = self.evaluation(which, "review")
        user = self.who(actor, self.world.reviewer[evaluation.organization_id])
        granted = self.points(variant)
        vetoes = (
            list(self.world.scheme.indicators.filter(source="veto").values_list("pk", flat=True))
            if veto
            else []
        )
        self.attempt(
            "review", lambda: schemes.review(user, evaluation, granted=granted, vetoes=vetoes, note="审核")
        )

    @rule(which=TARGET, actor=actors(*PEOPLE), note=st.sampled_from(["材料不实", ""]))
    def send_back(self, which, actor, note):
        evaluation = self.evaluation(which, "return")
        user = self.who(actor, self.world.reviewer[evaluation.organization_id])
        self.attempt("return", lambda: schemes.send_back(user, evaluation, note=note))

    @rule(actor=actors(*PEOPLE))
    def publish(self, actor):
        user = self.who(actor, "root")
        self.attempt("publish", lambda: schemes.publish(user, self.world.scheme))

    @rule(which=st.integers(0, 2), choice=st.integers(0, 3))
    def advance(self, which, choice):
        """One of the steps the evaluation's state allows, by whom it expects, with good input."""
        pks = list(
            Evaluation.objects.filter(scheme=self.world.scheme).order_by("pk").values_list("pk", flat=True)
        )
        evaluation = Evaluation.objects.get(pk=pks[which % len(pks)])
        allowed = [row.action for row in EVALUATION_TABLE if row.source == evaluation.status]
        if allowed:
            action = allowed[choice % len(allowed)]
            target = (False, which)
            {
                "submit": lambda: self.submit(target, RIGHT, 0),
                "review": lambda: self.review(target, RIGHT, 0, choice == 3),
                "return": lambda: self.send_back(target, RIGHT, "材料不实"),
                "publish": lambda: self.publish(RIGHT),
            }[action]()

    # --- members ------------------------------------------------------------------------------------------

    def member(self, which):
        return PartyMember.objects.select_related("organization").get(
            pk=self.world.members[which % len(self.world.members)]
        )

    def keeper_of(self, member):
        organization = member.organization
        return {"住建局机关党支部": "housing", "项目部党支部": "site"}.get(organization.name, "organs")

    @rule(
        which=st.integers(0, 3),
        actor=actors(*PEOPLE),
        when=st.sampled_from(["today", "future", "early", None]),
    )
    def confirm_full(self, which, actor, when):
        member = self.member(which)
        today = clock.today()
        on = {
            "today": today,
            "future": today + datetime.timedelta(days=1),
            "early": member.joined_on + datetime.timedelta(days=100),
            None: None,
        }[when]
        user = self.who(actor, self.keeper_of(member))
        self.attempt("confirm_full", lambda: members.confirm_full(user, member, on=on))

    @rule(
        which=st.integers(0, 3),
        actor=actors(*PEOPLE),
        to=st.sampled_from(["housing", "site", "planning", "outside"]),
    )
    def transfer(self, which, actor, to):
        member = self.member(which)
        target = None if to == "outside" else self.world.organizations[to]
        user = self.who(actor, self.keeper_of(member))
        outside = "区外某单位党委" if to == "outside" else ""
        self.attempt(
            "transfer", lambda: members.transfer(user, member, to=target, outside=outside, reason="工作调动")
        )

    @rule(which=st.integers(0, 3), actor=actors(*PEOPLE), name=st.sampled_from(["王五", ""]))
    def correct(self, which, actor, name):
        member = self.member(which)
        user = self.who(actor, self.keeper_of(member))
        self.attempt("update_member", lambda: members.update(user, member, name=name, duties="宣传委员"))

    # --- invariants ----------------------------------------------------------------------------------

    def check_state(self):
        self.check_evaluations()
        self.check_members()

    def check_evaluations(self):
        scheme = EvaluationScheme.objects.get(pk=self.world.scheme.pk)
        evaluations = {e.pk: e for e in Evaluation.objects.filter(scheme=scheme)}
        trails = trails_of(Evaluation, EvaluationScheme)
        events = [*trails.get((EvaluationScheme, str(scheme.pk)), [])]
        for pk in evaluations:
            events += trails.get((Evaluation, str(pk)), [])
        states = dict.fromkeys(evaluations, E.DRAFT)
        opened = 0
        for event in sorted(events, key=lambda event: event["pk"]):
            action = event["action"]
            if action == "partybuilding.open_scheme":
                opened += event["after"]["evaluations"]
            elif action == "partybuilding.publish_evaluations":
                reviewed = [pk for pk, state in states.items() if state == E.REVIEWED]
                assert len(reviewed) == event["after"]["published"], (
                    f"published {event['after']['published']}, the replay had {len(reviewed)} reviewed"
                )
                for pk in reviewed:
                    states[pk] = E.PUBLISHED
                if reviewed:
                    self.tally.took((E.REVIEWED, "publish", E.PUBLISHED), event["pk"])
            elif action != "partybuilding.define_scheme":
                pk = next(pk for pk in evaluations if str(pk) == event["target_id"])
                states[pk] = replay(
                    EVALUATION_TABLE,
                    [event],
                    EVALUATION_ACTIONS,
                    initial=states[pk],
                    tally=self.tally,
                    label=f"evaluation {pk}",
                )
        assert opened == len(evaluations)
        possible = reachable(EVALUATION_TABLE, [E.DRAFT])
        caps = {indicator.pk: indicator.cap for indicator in scheme.indicators.all()}
        for evaluation in evaluations.values():
            assert evaluation.status in possible
            assert states[evaluation.pk] == evaluation.status, (
                f"evaluation {evaluation.pk}: the trail ends at {states[evaluation.pk]}, it is {evaluation.status}"
            )
            scores = list(evaluation.scores.all())
            for score in scores:
                for points in (score.claimed, score.granted):
                    assert points is None or 0 <= points <= caps[score.indicator_id]
            if evaluation.status != E.DRAFT:
                assert evaluation.submitted_at is not None
                manual = [s for s in scores if s.claimed is not None or s.granted is not None]
                total = sum((s.granted if s.granted is not None else s.claimed for s in manual), Decimal(0))
                assert evaluation.total == Decimal(scheme.base_points) + total
                vetoed = any(s.vetoed for s in scores)
                assert evaluation.vetoed == vetoed
                stars = (
                    None
                    if vetoed
                    else next((int(n) for n, low in scheme.thresholds if total >= Decimal(low)), None)
                )
                assert evaluation.stars == stars
            if evaluation.status in (E.REVIEWED, E.PUBLISHED):
                assert evaluation.reviewed_at is not None and evaluation.reviewed_by_id is not None
            assert (evaluation.published_at is not None) == (evaluation.status == E.PUBLISHED)
        top = max(int(stars) for stars, _low in scheme.thresholds)
        published_top = sum(e.status == E.PUBLISHED and e.stars == top for e in evaluations.values())
        assert published_top <= math.floor(len(evaluations) * scheme.quota_percent / 100)

    def check_members(self):
        trails = trails_of(PartyMember)
        possible = reachable(MEMBER_TABLE, [M.PROBATIONARY, M.FULL])
        for member in PartyMember.objects.all():
            assert member.status in possible
            state = replay(
                MEMBER_TABLE,
                trails.get((PartyMember, str(member.pk)), []),
                MEMBER_ACTIONS,
                tally=self.tally,
                label=f"member {member.name}",
            )
            assert state == member.status
            assert (member.full_on is not None) == (member.status == M.FULL)
            if member.full_on is not None:
                assert member.joined_on <= member.full_on <= clock.today()
        for organization in Organization.objects.all():
            assert (
                organization.member_count
                == PartyMember.objects.current().filter(organization=organization).count()
            )


def test_party_building_under_random_actions(quick_world):
    world = make_world()
    tally = Tally()
    run_state_machine_as_test(lambda: PartyMachine(world, tally), settings=machine_settings(25, 25))
    print(tally.summary())
    expected = {(row.source, row.action, row.target) for row in EVALUATION_TABLE + MEMBER_TABLE}
    assert not tally.missing(expected), f"never reached: {tally.missing(expected)}\n{tally.summary()}"
