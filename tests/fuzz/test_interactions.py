"""Fuzzing the interaction register (interactions.services): officials record interactions, the enterprise
visited confirms or disputes each record once (`TRANSITIONS`, on the `response` field), supervisors add
findings — random sequences of these by random people.

Invariants after every step: each record's response is one the table reaches from "pending" and agrees with
its answer's fields (who answered, when, with what note); its audit trail (`interactions.record`, then
`interactions.confirm` / `interactions.dispute` with the response before and after; findings change nothing)
replays to the stored response; a refused action changed nothing.
"""

import datetime
from types import SimpleNamespace

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from sciencecity.interactions import services
from sciencecity.interactions.models import Finding, Interaction, ListItem
from sciencecity.workdays import clock
from tests.factories import DepartmentFactory, EnterpriseFactory, applicant_of, staff

from .harness import (
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
    trails_by_target,
)

pytestmark = pytest.mark.django_db

R = Interaction.Response
TABLE = list(services.TRANSITIONS)
PEOPLE = ("official", "colleague", "head", "outsider", "supervisor", "leader", "visited_user", "other_user")
ACTIONS = {
    "interactions.record": CREATE,
    "interactions.confirm": "confirm",
    "interactions.dispute": "dispute",
    "interactions.finding": None,
}
MAX_RECORDS = 5


def make_world():
    ecology = DepartmentFactory(code="ecology", name="科学城生态环境局")
    housing = DepartmentFactory(code="housing", name="科学城住建局")
    visited = EnterpriseFactory(name="重庆芯片科技有限公司")
    other = EnterpriseFactory(name="重庆材料科技有限公司")
    people = {
        "official": staff("department_reviewer", ecology, username="eco-official"),
        "colleague": staff("department_reviewer", ecology, username="eco-colleague"),
        "head": staff("department_head", ecology, username="eco-head"),
        "outsider": staff("department_reviewer", housing, username="housing-official"),
        "supervisor": staff("supervisor", username="supervisor"),
        "leader": staff("leader", username="leader"),
        "visited_user": applicant_of(visited, username="visited-applicant"),
        "other_user": applicant_of(other, username="other-applicant"),
    }
    world = SimpleNamespace(
        people=people,
        enterprises={"visited": visited, "other": other},
        encouraged=ListItem.objects.filter(kind=ListItem.Kind.ENCOURAGED, is_active=True).first(),
        forbidden=ListItem.objects.filter(kind=ListItem.Kind.FORBIDDEN, is_active=True).first(),
    )
    assert world.encouraged and world.forbidden, "the register's lists come with the migrations"
    world.baseline = [
        _record(world, people["official"], visited, 1, [world.encouraged]).pk,
        _record(world, people["head"], other, 10, [world.encouraged, world.forbidden]).pk,
    ]
    return world


def _record(world, user, enterprise, days_ago, items):
    return services.record_interaction(
        user,
        enterprise=enterprise,
        kind="visit",
        occurred_on=clock.today() - datetime.timedelta(days=days_ago),
        place="企业会议室",
        purpose="了解环评手续办理进度",
        items=items,
        officials_present="张伟(科长)",
    )


class InteractionMachine(ServiceMachine):
    watched = (Interaction, Interaction.items.through, Finding)

    def __init__(self, world, tally):
        super().__init__(world, tally)
        self.records = list(world.baseline)

    def who(self, name, right):
        return self.world.people[right if name == RIGHT else name]

    def record_at(self, target, *ready_responses):
        rows = list(
            Interaction.objects.filter(pk__in=self.records).order_by("pk").values_list("pk", "response")
        )
        ready = [pk for pk, response in rows if response in ready_responses]
        return Interaction.objects.get(pk=pick([pk for pk, _response in rows], ready, target))

    @rule(
        actor=actors(*PEOPLE),
        enterprise=st.sampled_from(["visited", "other"]),
        days_ago=st.sampled_from([0, 1, 7, 400, -1]),
        forbidden=st.booleans(),
        place=st.sampled_from(["企业会议室", ""]),
    )
    def record(self, actor, enterprise, days_ago, forbidden, place):
        if len(self.records) >= MAX_RECORDS:
            return
        items = [self.world.encouraged] + ([self.world.forbidden] if forbidden else [])
        made = self.attempt(
            "record",
            lambda: services.record_interaction(
                self.who(actor, "official"),
                enterprise=self.world.enterprises[enterprise],
                kind="meeting",
                occurred_on=clock.today() - datetime.timedelta(days=days_ago),
                place=place,
                purpose="座谈",
                items=items,
                officials_present="李四",
            ),
        )
        if made is not None:
            self.records.append(made.pk)

    @rule(
        which=TARGET,
        actor=actors(*PEOPLE),
        action=st.sampled_from(["confirm", "dispute", "withdraw"]),
        note=st.sampled_from(["", "情况属实"]),
    )
    def respond(self, which, actor, action, note):
        interaction = self.record_at(which, R.PENDING)
        right = (
            "visited_user"
            if interaction.enterprise_id == self.world.enterprises["visited"].pk
            else "other_user"
        )
        self.attempt(action, lambda: services.respond(self.who(actor, right), interaction, action, note))

    @rule(
        which=TARGET,
        actor=actors(*PEOPLE),
        kind=st.sampled_from(["concern", "cleared", "verdict"]),
        text=st.sampled_from(["", "请核查"]),
    )
    def find(self, which, actor, kind, text):
        interaction = self.record_at(which)
        self.attempt(
            "finding", lambda: services.add_finding(self.who(actor, "supervisor"), interaction, kind, text)
        )

    def check_state(self):
        trails = trails_by_target(Interaction)
        possible = reachable(TABLE, [R.PENDING])
        for interaction in Interaction.objects.filter(pk__in=self.records):
            assert interaction.response in possible
            trail = trails.get(str(interaction.pk), [])
            assert trail and trail[0]["action"] == "interactions.record", f"{interaction.number}: not audited"
            state = replay(
                TABLE,
                trail,
                ACTIONS,
                key="response",
                initial=R.PENDING,
                tally=self.tally,
                label=f"interaction {interaction.number}",
            )
            assert state == interaction.response, (
                f"{interaction.number}: trail {state}, stored {interaction.response}"
            )
            answered = interaction.response != R.PENDING
            assert (interaction.responded_at is not None) == answered
            assert (interaction.responded_by_id is not None) == answered
            if answered:
                assert interaction.responded_by.enterprise_id == interaction.enterprise_id
            if interaction.response == R.DISPUTED:
                assert interaction.response_note.strip()


def test_the_interaction_register_under_random_actions(quick_world):
    world = make_world()
    tally = Tally()
    run_state_machine_as_test(lambda: InteractionMachine(world, tally), settings=machine_settings(20, 20))
    print(tally.summary())
    expected = {(R.PENDING, "confirm", R.CONFIRMED), (R.PENDING, "dispute", R.DISPUTED)}
    assert not tally.missing(expected), f"never reached: {tally.missing(expected)}\n{tally.summary()}"
