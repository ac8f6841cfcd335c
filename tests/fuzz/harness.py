"""What every state-machine fuzzer shares: a database savepoint per example, the refusals a service may answer
with, the check that a refusal changed nothing, and the replay of an object's audit trail through its
transition table.

A fuzzer is a `ServiceMachine` (a hypothesis `RuleBasedStateMachine`) built on a world made once per test:
each example runs inside a savepoint of the test's transaction and is rolled back at its end, so every example
starts from the same world. Each rule calls one real service function as a random actor; `attempt` runs it:

- success is recorded (`Tally`);
- a refusal — the workflow core's `IllegalTransition` (409), `PermissionDenied` (403; `NotFound`, the scope's
  404, is one) or `ValidationError` (400) — must leave every watched row as it was (`snapshot`): the object,
  its related rows, and the counts of audit events, notifications and queued background tasks;
- any other exception propagates and fails the test.

After every step the machine's invariants replay each object's audit trail (`replay`): from the state it was
created in, every audited transition must be a row of the object's transition table starting from the state
replayed so far (and name that row's action), every other audited action must leave the state alone, and the
end must be the object's stored state. A transition made without its audit event, or audited with the wrong
states, fails there.
"""

import itertools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult
from hypothesis import settings as Settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant

from sciencecity.audit.models import AuditEvent
from sciencecity.notifications.models import Notification
from sciencecity.workflow.models import NumberSequence
from sciencecity.workflow.transitions import IllegalTransition, Transition

from .conftest import LONG

# What a service answers when it refuses an action (workflow.errors): nothing else is an acceptable outcome.
REFUSALS = (IllegalTransition, PermissionDenied, ValidationError)

# The actor an action expects (the applicant for a submission, the task's reviewer for a decision…), resolved
# by each machine; drawn about half of the time, so that random sequences get deep into each machine instead
# of being refused at the first step.
RIGHT = "right"


def actors(*names: str):
    """The right actor for the action, or any of `names` (roles of the machine's world)."""
    return st.one_of(st.just(RIGHT), st.sampled_from(names))


def machine_settings(examples: int, steps: int) -> Settings:
    """The profile's settings with this machine's size (ten times the examples and twice the steps with
    HYPOTHESIS_PROFILE=long)."""
    profile = Settings.get_profile("fuzz-long" if LONG else "fuzz")
    return Settings(
        parent=profile,
        max_examples=examples * 10 if LONG else examples,
        stateful_step_count=steps * 2 if LONG else steps,
    )


# --- coverage of a run -----------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What a whole run did, over all its examples: each action's successes and refusals, and each transition
    (from-state, action, to-state) the replayed trails went through, with the audit events that took it. A test
    asserts the transitions it expects, so that a fuzzer that never gets past the first state fails instead of
    passing vacuously."""

    outcomes: Counter = field(default_factory=Counter)
    transitions: dict = field(default_factory=dict)  # (from, action, to): {(example, audit event id)}
    examples: int = 0

    def took(self, row: tuple, event_id) -> None:
        self.transitions.setdefault(row, set()).add((self.examples, event_id))

    def missing(self, expected: Iterable[tuple] = (), actions: Iterable[str] = ()) -> list:
        """The rows of `expected` never taken, and the `actions` never taken from any state."""
        taken = {action for _source, action, _target in self.transitions}
        return sorted(set(expected) - set(self.transitions)) + sorted(set(actions) - taken)

    def summary(self) -> str:
        done = sorted((action, n) for (action, outcome), n in self.outcomes.items() if outcome == "done")
        refused = sorted(
            (action, n) for (action, outcome), n in self.outcomes.items() if outcome == "refused"
        )
        taken = sorted((len(events), *map(str, row)) for row, events in self.transitions.items())
        return f"done: {done}\nrefused: {refused}\ntransitions taken (times, from, action, to): {taken}"


# --- the machine ------------------------------------------------------------------------------------------------

APPEND_ONLY = (AuditEvent, Notification, DBTaskResult)


class ServiceMachine(RuleBasedStateMachine):
    """A state machine over a world made once per test: each example in a savepoint rolled back at its end.

    `watched` lists the models whose rows a refused action must leave unchanged (every row, every field);
    audit events, notifications and queued tasks (append-only: nothing here deletes them) are compared by their
    count, and the running numbers (`NumberSequence`) by value.

    `check_state` (the machine's invariants) runs after every step that may have changed the database: after a
    success, not after a refusal (whose snapshot has just shown that nothing changed) nor after a step that
    called nothing — the invariants read the database alone, so they would find what they found before."""

    watched: tuple = ()

    def __init__(self, world, tally: Tally):
        super().__init__()
        self.world = world
        self.tally = tally
        tally.examples += 1
        self.calls = itertools.count(1)
        self._known = None  # the snapshot of the database as it is now, while no success has changed it
        self._dirty = True
        self._example = transaction.atomic()
        self._example.__enter__()

    def teardown(self):
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    def snapshot(self) -> dict:
        """Every row of the watched tables, and the count of the append-only ones, read with plain SQL."""
        quote = connection.ops.quote_name
        rows = {}
        with connection.cursor() as cursor:
            for model in (*self.watched, NumberSequence):
                meta = model._meta
                cursor.execute(f"SELECT * FROM {quote(meta.db_table)} ORDER BY {quote(meta.pk.column)}")
                rows[meta.label] = cursor.fetchall()
            last = ", ".join(f"(SELECT COUNT(*) FROM {quote(m._meta.db_table)})" for m in APPEND_ONLY)
            cursor.execute(f"SELECT {last}")
            rows["append-only"] = cursor.fetchone()
        return rows

    def attempt(self, action: str, call):
        """Run one service call; a refusal must change nothing. Returns the call's result, or None if refused."""
        before = self._known if self._known is not None else self.snapshot()
        try:
            result = call()
        except REFUSALS as error:
            after = self.snapshot()
            changed = {
                label: (before[label], after[label]) for label in before if before[label] != after[label]
            }
            assert not changed, (
                f"{action} was refused ({type(error).__name__}: {error}) but changed {changed}"
            )
            self._known = after
            self.tally.outcomes[(action, "refused")] += 1
            return None
        self._known = None
        self._dirty = True
        self.tally.outcomes[(action, "done")] += 1
        return result

    @invariant()
    def invariants_hold(self):
        if self._dirty:
            self.check_state()
            self._dirty = False

    def check_state(self):
        raise NotImplementedError


def pick(candidates: list, ready: list, target: tuple):
    """One of `candidates`, by `target` = (prefer a ready one, index): with the preference, one of `ready` (those
    whose state allows the action) if there is any; otherwise any. Like `RIGHT` for actors, it lets random
    sequences reach deep states while other draws still aim actions at objects in the wrong state."""
    prefer, index = target
    pool = ready if prefer and ready else candidates
    return pool[index % len(pool)] if pool else None


TARGET = st.tuples(st.booleans(), st.integers(0, 7))

# Which input an action gets: 0 is good input, 1–3 each action's own kinds of bad or odd input (an empty reason,
# an amount over the limit, a date in the future…). Good input more than half of the time, so that an action
# aimed at an object in the wrong state by the right actor reaches the state check.
VARIANT = st.one_of(st.just(0), st.integers(0, 3))


def sources(rows, *actions: str) -> set[str]:
    """The states from which the rows allow one of `actions`."""
    return {row.source for row in rows if row.action in actions}


# --- audit trails --------------------------------------------------------------------------------------------


def trails_of(*models) -> dict[tuple[type, str], list[dict]]:
    """{(model, target id): its audit events in the order they were written} for every audited row of
    `models`, in one query."""
    types = {ContentType.objects.get_for_model(model).pk: model for model in models}
    found: dict[tuple[type, str], list[dict]] = {}
    events = AuditEvent.objects.filter(target_type__in=types).order_by("pk")
    for event in events.values("pk", "target_type", "target_id", "action", "before", "after", "actor_id"):
        found.setdefault((types[event["target_type"]], event["target_id"]), []).append(event)
    return found


def trails_by_target(model) -> dict[str, list[dict]]:
    """{target id: its events in order} for every audited row of `model`, in one query."""
    return {target_id: events for (_model, target_id), events in trails_of(model).items()}


CREATE = "<create>"  # the event that creates the object: its `after` gives the first state
ANY = "<any>"  # a transition named by its states alone: some row from the state to `after`'s state


def reachable(rows: Iterable[Transition], initial: Iterable[str]) -> set[str]:
    """The states the rows reach from `initial` (the initial states included)."""
    rows = list(rows)
    seen = set(initial)
    frontier = list(seen)
    while frontier:
        state = frontier.pop()
        for row in rows:
            if row.source == state and row.target not in seen:
                seen.add(row.target)
                frontier.append(row.target)
    return seen


def replay(
    rows: Iterable[Transition],
    events: list[dict],
    actions: dict,
    *,
    key: str = "status",
    initial: str | None = None,
    tally: Tally | None = None,
    label: str = "",
) -> str | None:
    """The state that `events` (one object's audit trail, in order) lead to through `rows`.

    `actions` maps each audited action of the object to: `CREATE` (it created the object: its `after[key]`, or
    `initial` where the event does not say, is the first state), a table action (a transition: the row from the
    state replayed so far with that action; `before[key]`, where given, must be that state and `after[key]`,
    where given, the row's target), `ANY` (a transition by states: a row from the state to `after[key]`), or
    None (not a transition: `before[key]` and `after[key]`, where given, must be the state replayed so far).
    An audited action missing from `actions` fails: each machine lists every action its objects record.
    """
    rows = list(rows)
    state = initial
    created = False
    for event in events:
        name = event["action"]
        where = f"{label} event #{event['pk']} {name}"
        assert name in actions, f"{where}: an audited action the fuzzer does not know"
        step = actions[name]
        before, after = event["before"] or {}, event["after"] or {}
        if not isinstance(before, dict):
            before = {}
        if not isinstance(after, dict):
            after = {}
        if step == CREATE:
            assert not created, f"{where}: created twice"
            created = True
            state = after.get(key, initial)
            assert state is not None, f"{where}: the creation does not say the first state"
            continue
        assert created or initial is not None, f"{where}: before the object's creation"
        if step is None:
            for side, values in (("before", before), ("after", after)):
                if key in values:
                    assert values[key] == state, (
                        f"{where}: not a transition, yet its {side} {key} is {values[key]!r}, "
                        f"the trail says {state!r}"
                    )
            continue
        if key in before:
            assert before[key] == state, f"{where}: before {key} {before[key]!r}, the trail says {state!r}"
        if step == ANY:
            assert key in after, f"{where}: a transition that does not say its new state"
            row = next((r for r in rows if r.source == state and r.target == after[key]), None)
            assert row is not None, f"{where}: no row of the table goes from {state!r} to {after[key]!r}"
        else:
            row = next((r for r in rows if r.source == state and r.action == step), None)
            assert row is not None, f"{where}: the table has no “{step}” from {state!r}"
            if key in after:
                assert after[key] == row.target, (
                    f"{where}: after {key} {after[key]!r}, the table's “{step}” from {state!r} "
                    f"goes to {row.target!r}"
                )
        if tally is not None:
            tally.took((row.source, row.action, row.target), event["pk"])
        state = row.target
    return state
