"""Fuzzing the projects' two state machines: a project's phase (projects.services.registry,
`PHASE_TRANSITIONS`: forward only, never back, never out of operation) and a campaign round
(projects.services.campaign, `ROUND_TRANSITIONS`: open → scored (again) → published, never changed after), by
random people.

Phases. The world: an enterprise with its applicant, another enterprise with its applicant, a project service
specialist, an administrator, a department reviewer (who may not change projects) and a leader; three projects
registered through the service (signed, in approval, completed). Actions: move to any phase on a day (today,
yesterday, a year ago, tomorrow), correct the project's data, register a project (an enterprise only in an early
phase). After every step: each project's phase is one the table reaches from the phase it was registered in;
its trail (`projects.register_project`, then `projects.change_project_phase` from phase to phase, corrections
that do not touch the phase) replays to it; its phase history (`PhaseChange`) is one chain from its registration
to its phase, dated in order; a refused action changed nothing.

Rounds. The world: three key projects under construction, a leader and an administrator (organizers), a
specialist (not one), and the platform's morning scan; a campaign of monthly rounds from three months ago to the
end of this month (three rounds ended, one running). Actions: score a round, publish it, change the scoring
rules, the morning scan. After every step: each round's state is one the table reaches from "open", its trail
replays to it, an open round has no scores, a scored or published one has its participants' scores and the
rules it was scored by, a published ranking never changes again; a refused action changed nothing.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from sciencecity.projects.models import (
    Campaign,
    CampaignRound,
    PhaseChange,
    Project,
    RoundScore,
    ScoringRule,
)
from sciencecity.projects.services import campaign, registry
from sciencecity.workdays import clock
from sciencecity.workflow.transitions import Transition
from tests.factories import EnterpriseFactory, ProjectFactory, applicant_of, staff

from .harness import (
    ANY,
    CREATE,
    RIGHT,
    TARGET,
    ServiceMachine,
    Tally,
    actors,
    machine_settings,
    pick,
    reachable,
    replay,
    sources,
    trails_by_target,
)

pytestmark = pytest.mark.django_db

P = Project.Phase
R = CampaignRound.Status
# The phases' table is (from, to, permission) rows, without action names: each row here is "change to".
PHASE_TABLE = [
    Transition(source, "change_phase", target, permission)
    for source, target, permission in registry.PHASE_TRANSITIONS
]
PHASE_ACTIONS = {
    "projects.register_project": CREATE,
    "projects.change_project_phase": ANY,
    "projects.update_project": None,
}
ROUND_TABLE = list(campaign.ROUND_TRANSITIONS)
ROUND_ACTIONS = {"projects.score_round": "score_round", "projects.publish_round": "publish_round"}
PHASE_PEOPLE = ("applicant", "other_applicant", "specialist", "admin", "reviewer", "leader")
ROUND_PEOPLE = ("leader", "admin", "specialist", "platform")
MAX_PROJECTS = 5


# --- phases ------------------------------------------------------------------------------------------------


def make_phase_world():
    enterprise = EnterpriseFactory(name="重庆科学谷建设有限公司")
    other = EnterpriseFactory(name="另一家企业")
    people = {
        "applicant": applicant_of(enterprise, username="unit"),
        "other_applicant": applicant_of(other, username="stranger"),
        "specialist": staff("project_specialist", username="specialist"),
        "admin": staff("administrator", username="admin"),
        "reviewer": staff("department_reviewer", username="reviewer"),
        "leader": staff("leader", username="leader"),
    }
    world = SimpleNamespace(
        enterprises={"own": enterprise, "other": other}, people=people, serials=iter(range(1, 10**6))
    )
    world.baseline = [
        register_in(world, people["applicant"], "own", P.SIGNED).pk,
        register_in(world, people["admin"], "own", P.APPROVAL).pk,
        register_in(world, people["admin"], "own", P.COMPLETED).pk,
    ]
    return world


def register_in(world, user, enterprise, phase, serial=None):
    serial = next(world.serials) if serial is None else serial
    return registry.register_project(
        user,
        code=f"2026-500106-47-01-{serial:06d}",
        name=f"科学谷{serial}期",
        enterprise=world.enterprises[enterprise],
        total_investment=Decimal("120000"),
        location="重庆高新区",
        phase=phase,
    )


class PhaseMachine(ServiceMachine):
    watched = (Project, PhaseChange)

    def __init__(self, world, tally):
        super().__init__(world, tally)
        self.projects = list(world.baseline)

    def who(self, name, right):
        return self.world.people[right if name == RIGHT else name]

    def project(self, target) -> Project:
        rows = list(Project.objects.filter(pk__in=self.projects).order_by("pk").values_list("pk", "phase"))
        ready = [pk for pk, phase in rows if phase != P.IN_OPERATION]
        return Project.objects.get(pk=pick([pk for pk, _phase in rows], ready, target))

    @rule(
        which=TARGET,
        actor=actors(*PHASE_PEOPLE),
        phase=st.sampled_from(P.values),
        when=st.sampled_from([None, 1, 365, -1]),
    )
    def change_phase(self, which, actor, phase, when):
        project = self.project(which)
        on = None if when is None else clock.today() - datetime.timedelta(days=when)
        user = self.who(actor, "specialist")
        self.attempt(
            "change_phase", lambda: registry.change_project_phase(user, project, phase, on=on, note="推进")
        )

    @rule(which=TARGET, choice=st.integers(0, 6))
    def advance(self, which, choice):
        """A step forward the table allows, today, by the project's own applicant or a specialist."""
        project = self.project(which)
        onward = [row.target for row in PHASE_TABLE if row.source == project.phase]
        if onward:
            user = self.world.people["applicant" if choice % 2 else "specialist"]
            phase = onward[choice % len(onward)]
            self.attempt("change_phase", lambda: registry.change_project_phase(user, project, phase))

    @rule(
        which=TARGET,
        actor=actors(*PHASE_PEOPLE),
        change=st.sampled_from(["name", "is_key", "code", "enterprise"]),
    )
    def correct(self, which, actor, change):
        project = self.project(which)
        fields = {
            "name": {"name": "科学谷(更名)"},
            "is_key": {"is_key": True},
            "code": {"code": Project.objects.exclude(pk=project.pk).values_list("code", flat=True).first()},
            "enterprise": {"enterprise": self.world.enterprises["other"]},
        }[change]
        user = self.who(actor, "specialist")
        self.attempt("update_project", lambda: registry.update_project(user, project, **fields))

    @rule(
        actor=actors(*PHASE_PEOPLE),
        enterprise=st.sampled_from(["own", "other"]),
        phase=st.sampled_from(P.values),
    )
    def register(self, actor, enterprise, phase):
        if len(self.projects) < MAX_PROJECTS:
            user = self.who(actor, "applicant")
            made = self.attempt("register", lambda: register_in(self.world, user, enterprise, phase))
            if made is not None:
                self.projects.append(made.pk)

    def check_state(self):
        trails = trails_by_target(Project)
        for project in Project.objects.filter(pk__in=self.projects):
            trail = trails.get(str(project.pk), [])
            registered = trail[0]["after"]["phase"]
            assert project.phase in reachable(PHASE_TABLE, [registered])
            state = replay(
                PHASE_TABLE, trail, PHASE_ACTIONS, key="phase", tally=self.tally, label=project.code
            )
            assert state == project.phase, (
                f"{project.code}: the trail ends at {state}, the project is {project.phase}"
            )
            history = list(project.phase_changes.order_by("pk"))
            assert history[0].from_phase == "" and history[0].to_phase == registered
            for earlier, later in zip(history, history[1:], strict=False):
                assert later.from_phase == earlier.to_phase, f"{project.code}: the history skips a link"
                if earlier.from_phase:
                    assert later.changed_on >= earlier.changed_on
            assert history[-1].to_phase == project.phase
            assert all(change.changed_on <= clock.today() for change in history)


def test_project_phases_under_random_actions(quick_world):
    world = make_phase_world()
    tally = Tally()
    run_state_machine_as_test(lambda: PhaseMachine(world, tally), settings=machine_settings(15, 20))
    print(tally.summary())
    assert len(tally.transitions) >= 8, tally.summary()
    assert {row.source for row in PHASE_TABLE} <= {source for source, _action, _target in tally.transitions}


# --- campaign rounds ---------------------------------------------------------------------------------------


def make_round_world():
    today = clock.today()
    for n in range(3):
        ProjectFactory(is_key=True, phase=P.UNDER_CONSTRUCTION, name=f"重点项目{n}")
    people = {
        "leader": staff("leader", username="lead"),
        "admin": staff("administrator", username="admin"),
        "specialist": staff("project_specialist", username="specialist"),
        "platform": None,
    }
    this_month = today.replace(day=1)
    starts_on = (this_month - datetime.timedelta(days=80)).replace(day=1)
    ends_on = (this_month + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    made = campaign.create_campaign(
        people["leader"], name="三比一争", round_length="month", starts_on=starts_on, ends_on=ends_on
    )
    rounds = list(made.rounds.order_by("number").values_list("pk", flat=True))
    assert len(rounds) == 4
    return SimpleNamespace(people=people, campaign=made, rounds=rounds)


class RoundMachine(ServiceMachine):
    watched = (CampaignRound, RoundScore, ScoringRule, Campaign)

    def __init__(self, world, tally):
        super().__init__(world, tally)
        self.published = {}  # round pk: its ranking when first seen published

    def who(self, name, right):
        return self.world.people[right if name == RIGHT else name]

    def round(self, target, *actions) -> CampaignRound:
        rows = list(
            CampaignRound.objects.filter(pk__in=self.world.rounds).order_by("pk").values_list("pk", "status")
        )
        ready = [pk for pk, status in rows if status in sources(ROUND_TABLE, *actions)]
        return CampaignRound.objects.get(pk=pick([pk for pk, _status in rows], ready, target))

    @rule(which=TARGET, actor=actors(*ROUND_PEOPLE))
    def score(self, which, actor):
        round_ = self.round(which, "score_round")
        user = self.who(actor, "leader")
        self.attempt("score_round", lambda: campaign.score_round(user, round_))

    @rule(which=TARGET, actor=actors(*ROUND_PEOPLE[:3]))
    def publish(self, which, actor):
        round_ = self.round(which, "publish_round")
        user = self.who(actor, "leader")
        self.attempt("publish_round", lambda: campaign.publish_round(user, round_))

    @rule()
    def morning_scan(self):
        self.attempt("score_due_rounds", lambda: campaign.score_due_rounds())

    @rule(actor=actors(*ROUND_PEOPLE[:3]), weight=st.sampled_from(["50", "0", "101"]))
    def set_rules(self, actor, weight):
        user = self.who(actor, "leader")
        rules = {"quality_inspection": {"weight": weight}, "safety_inspection": {"weight": "0"}}
        self.attempt("set_rules", lambda: campaign.set_rules(user, self.world.campaign, rules))

    def check_state(self):
        trails = trails_by_target(CampaignRound)
        possible = reachable(ROUND_TABLE, [R.OPEN])
        for round_ in CampaignRound.objects.filter(pk__in=self.world.rounds):
            assert round_.status in possible
            state = replay(
                ROUND_TABLE,
                trails.get(str(round_.pk), []),
                ROUND_ACTIONS,
                initial=R.OPEN,
                tally=self.tally,
                label=f"round {round_.number}",
            )
            assert state == round_.status, f"round {round_.number}: trail {state}, stored {round_.status}"
            ranking = sorted(
                RoundScore.objects.filter(round=round_).values_list(
                    "project_id", "total", "rank", "distinction"
                )
            )
            if round_.status == R.OPEN:
                assert not ranking and round_.scored_at is None
            else:
                assert round_.ends_on < clock.today(), "a round scored before it ended"
                assert round_.scored_at is not None and round_.rules and round_.participants == len(ranking)
            assert (round_.published_at is not None) == (round_.status == R.PUBLISHED)
            if round_.status == R.PUBLISHED:
                assert round_.published_by_id is not None
                first_seen = self.published.setdefault(round_.pk, (ranking, round_.rules, round_.scored_at))
                assert first_seen == (ranking, round_.rules, round_.scored_at), "a published ranking changed"


def test_campaign_rounds_under_random_actions(quick_world):
    world = make_round_world()
    tally = Tally()
    run_state_machine_as_test(lambda: RoundMachine(world, tally), settings=machine_settings(15, 15))
    print(tally.summary())
    expected = {(row.source, row.action, row.target) for row in ROUND_TABLE}
    assert not tally.missing(expected), f"never reached: {tally.missing(expected)}\n{tally.summary()}"
