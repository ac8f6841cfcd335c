"""Each enterprise's verdict for each policy in force, stored (`PolicyMatch`) so that both lists — the
policies an enterprise qualifies for, the enterprises a policy finds (政策找企业) — are indexed reads.

A verdict names what decided it: "ineligible" lists the conditions the enterprise fails, "unknown" the facts
its file lacks (never a silent "not eligible"). The verdicts are computed in chunks of `CHUNK` enterprises, the
facts of a chunk read with a fixed number of queries, each condition compiled once (`conditions.holds`), and
written by replacing the chunk's rows; a refresh is idempotent and runs in the background
(`refresh_matches`), enqueued when a policy is saved and when an enterprise's file changes.
"""

import datetime
import json
from functools import lru_cache

from django.db import connection, transaction
from django.db.models import Count, F, Q
from django_tasks import task

from sciencecity.enterprises.facts import facts_for
from sciencecity.enterprises.models import Enterprise
from sciencecity.workdays import clock
from sciencecity.workflow.duties import morning_duty
from sciencecity.workflow.queue import enqueue_with_commit

from ..models import Policy, PolicyMatch
from . import conditions as rules

CHUNK = 1000
Verdict = PolicyMatch.Verdict


def judge(conditions: list[dict], mode: str, facts: dict, compiled=None) -> tuple[str, list[int], list[str]]:
    """(verdict, indexes of the failed conditions, facts missing) of one enterprise for one policy; `compiled`
    holds the conditions' compiled rules where the caller judges many enterprises."""
    compiled = compiled or [None] * len(conditions)
    results = [
        rules.holds(condition, facts, rule) for condition, rule in zip(conditions, compiled, strict=True)
    ]
    failed = [index for index, result in enumerate(results) if result is False]
    missing = sorted({conditions[index]["fact"] for index, result in enumerate(results) if result is None})
    if mode == Policy.Mode.ANY and conditions:
        if any(result is True for result in results):
            return Verdict.ELIGIBLE, [], []
        return (Verdict.UNKNOWN if missing else Verdict.INELIGIBLE), failed, missing
    if failed:
        return Verdict.INELIGIBLE, failed, missing
    return (Verdict.UNKNOWN if missing else Verdict.ELIGIBLE), [], missing


def in_force(today: datetime.date):
    return Policy.objects.filter(is_published=True, valid_from__lte=today).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )


def refresh(policy_ids=None, enterprise_ids=None, *, today: datetime.date | None = None) -> dict:
    """Recompute the verdicts of the policies in force (or `policy_ids` of them) for every enterprise (or
        `enterprise_ids`); a whole refresh (neither given, the nightly one) also removes the verdicts of policies
    no longer in force. Returns counts."""
    today = today or clock.today()
    policies = in_force(today)
    if policy_ids is not None:
        policies = policies.filter(pk__in=list(policy_ids))
    compiled = []
    for policy in policies.prefetch_related("conditions"):
        conditions = [
            {"fact": c.fact, "operator": c.operator, "value": c.value} for c in policy.conditions.all()
        ]
        compiled.append((policy.pk, policy.mode, conditions, [rules.compiled(c) for c in conditions]))
    enterprises = Enterprise.objects.order_by("pk")
    if enterprise_ids is not None:
        enterprises = enterprises.filter(pk__in=list(enterprise_ids))
    counts = {
        "enterprises": 0,
        "policies": len(compiled),
        Verdict.ELIGIBLE: 0,
        Verdict.INELIGIBLE: 0,
        Verdict.UNKNOWN: 0,
    }
    stamp = connection.ops.adapt_datetimefield_value(clock.now())
    last_pk = 0
    while True:
        chunk = list(enterprises.filter(pk__gt=last_pk)[:CHUNK])
        if not chunk:
            break
        last_pk = chunk[-1].pk
        facts = facts_for(chunk, today)
        rows = []
        for enterprise in chunk:
            for policy_pk, mode, conditions, rules_ in compiled:
                verdict, failed, missing = judge(conditions, mode, facts[enterprise.pk], rules_)
                counts[verdict] += 1
                rows.append((policy_pk, enterprise.pk, verdict, _json(failed), _json(missing), stamp))
        ids = [enterprise.pk for enterprise in chunk]
        with transaction.atomic():
            # The chunk's enterprises locked in one order: two refreshes of the same enterprise run one
            # after the other, so the counts' changes below are computed from what the first one wrote.
            list(Enterprise.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))
            stale = PolicyMatch.objects.filter(enterprise_id__in=ids)
            if policy_ids is not None:
                stale = stale.filter(policy_id__in=list(policy_ids))
            before = list(stale.values_list("policy_id", "verdict"))
            stale.delete()
            _insert(rows)
            if enterprise_ids is not None:
                _change_counts(before, [(row[0], row[2]) for row in rows])
        counts["enterprises"] += len(chunk)
    if enterprise_ids is None:
        recount([row[0] for row in compiled])
    if policy_ids is None and enterprise_ids is None:
        ended = Policy.objects.exclude(pk__in=[row[0] for row in compiled])
        PolicyMatch.objects.filter(policy__in=ended).delete()
        ended.exclude(eligible_count=0, unknown_count=0).update(eligible_count=0, unknown_count=0)
    return counts


COLUMNS = ("policy_id", "enterprise_id", "verdict", "failed", "missing", "computed_at")


@lru_cache(maxsize=1024)
def _json_of(values: tuple) -> str:
    return json.dumps(list(values), ensure_ascii=False)


def _json(values: list) -> str:
    return _json_of(tuple(values))


def _insert(rows: list[tuple]) -> None:
    """Write a chunk's verdicts: on PostgreSQL by COPY, elsewhere by one prepared INSERT executed for every row.
    The ORM's `bulk_create` spent most of a whole-zone refresh building model instances and preparing each
    value, and multi-row INSERTs with client-side parameters most of it splitting the statement (bench
    section 9)."""
    quote = connection.ops.quote_name
    table, columns = quote(PolicyMatch._meta.db_table), ", ".join(quote(c) for c in COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(COLUMNS))})", rows
        )


COUNTED = {Verdict.ELIGIBLE: "eligible_count", Verdict.UNKNOWN: "unknown_count"}


def _change_counts(before: list, after: list) -> None:
    """Move the policies' stored counts by what a partial refresh changed (rows before and after)."""
    changes: dict[int, dict[str, int]] = {}
    for rows, sign in ((before, -1), (after, 1)):
        for policy_id, verdict in rows:
            if verdict in COUNTED:
                field = COUNTED[verdict]
                changes.setdefault(policy_id, {}).setdefault(field, 0)
                changes[policy_id][field] += sign
    for policy_id in sorted(changes):
        moves = {field: F(field) + delta for field, delta in changes[policy_id].items() if delta}
        if moves:
            Policy.objects.filter(pk=policy_id).update(**moves)


def recount(policy_ids) -> None:
    """Count each policy's verdicts again from the stored rows (after a whole-zone refresh)."""
    found = {pk: dict.fromkeys(COUNTED.values(), 0) for pk in policy_ids}
    for row in (
        PolicyMatch.objects.filter(policy_id__in=list(found), verdict__in=list(COUNTED))
        .values("policy_id", "verdict")
        .annotate(number=Count("id"))
        .order_by()
    ):
        found[row["policy_id"]][COUNTED[row["verdict"]]] = row["number"]
    for policy_id in sorted(found):
        Policy.objects.filter(pk=policy_id).update(**found[policy_id])


@task()
def refresh_matches(policy_ids: list | None = None, enterprise_ids: list | None = None) -> dict:
    """The background refresh (idempotent: it recomputes from the data of the moment it runs)."""
    return {str(key): value for key, value in refresh(policy_ids, enterprise_ids).items()}


@morning_duty("policy_matching")
def refresh_every_morning() -> str:
    """The whole zone each morning, as a task of its own: facts that follow the date (an enterprise's age,
    qualifications that expire) and policies that come into force or end change verdicts without any write."""
    return refresh_matches.enqueue(None, None).id


def enqueue(policy_ids=None, enterprise_ids=None) -> None:
    """Refresh once the current transaction commits (nothing is enqueued for a write that rolls back)."""
    enqueue_with_commit(
        refresh_matches,
        list(policy_ids) if policy_ids is not None else None,
        list(enterprise_ids) if enterprise_ids is not None else None,
    )
