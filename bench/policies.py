"""Enterprise policies at scale: BENCH_ENTERPRISES enterprises (default 100,000) with their files — profile,
two years of figures, qualifications and a few platforms — loaded in bulk by the database (INSERT … SELECT over
generate_series), and the demo's 40 "金凤凰" measures (sciencecity/demo/data/policies.yaml) saved through the
service. Then, with the platform clock at 2026-11-24:

- the whole zone matched (`matching.refresh`: every enterprise × every policy in force, the stored verdicts
  replaced chunk by chunk): time, rows, the peak of Python's allocations (tracemalloc) and the process's RSS
  growth; against a baseline in the same run: the same conditions evaluated by plain Python comparisons over
  the same facts, in memory (what the JSONLogic engine, the facts' reads and the writes cost beyond that);
- the paying department's 政策找企业 page (`/policies/<code>/`, rendered; the eligible enterprises, a page of
  50, with and without a chain filter) and the enterprise's own list, p50/p95;
- redemption: BENCH_CLAIMS claims (default 300) through start → confirm → approve → pay by the services,
  transitions/s and SQL statements per transition, against the same rows written by bare ORM statements
  (create and three updates: no lock, no transition table, no audit, no notification).
"""

import datetime
import operator
import os
import resource
import time
import tracemalloc
from decimal import Decimal

import yaml
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sciencecity.accounts.models import Department, User
from sciencecity.demo.policies import DATA
from sciencecity.enterprises.facts import facts_for
from sciencecity.enterprises.models import Enterprise
from sciencecity.policies.models import Claim, Policy, PolicyMatch
from sciencecity.policies.services import claims, matching, policies
from sciencecity.policies.services import conditions as rules
from sciencecity.workdays import clock

from .scale import R, _execute, latency

ENTERPRISES = int(os.environ.get("BENCH_ENTERPRISES", "100000"))
CLAIMS = int(os.environ.get("BENCH_CLAIMS", "300"))
NOW = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
CHAINS = ("information", "biomedicine", "equipment", "materials", "energy", "services")
SIZES = ("large", "medium", "small", "small", "micro", "micro")

LOAD_ENTERPRISES = f"""
INSERT INTO enterprises_enterprise (name, credit_code, legal_representative, industry, is_high_tech, is_tech_based,
    address, contact_phone, size, chain, founded_on, registered_capital, employees, rd_staff, status,
    profile_updated_at, created_at, updated_at)
SELECT '基准企业' || g, 'BENCH' || lpad(g::text, 13, '0'), '张三', '', g %% 7 = 0, g %% 3 = 0, '', '',
    (ARRAY{list(SIZES)})[1 + g %% 6], CASE WHEN g %% 5 = 0 THEN '' ELSE (ARRAY{list(CHAINS)})[1 + g %% 6] END,
    date '2026-11-24' - (400 + floor(6000 * {R.format(x="g")}))::int,
    (ARRAY[100, 200, 500, 1000, 2000, 5000, 10000])[1 + g %% 7],
    CASE WHEN g %% 11 = 0 THEN NULL ELSE 5 + floor(800 * {R.format(x="g * 3")})::int END,
    CASE WHEN g %% 11 = 0 THEN NULL ELSE floor(5 + 200 * {R.format(x="g * 5")} * {R.format(x="g * 3")})::int END,
    'operating', now(), now(), now()
FROM generate_series(1, %(count)s) AS g
"""

LOAD_YEARS = f"""
INSERT INTO enterprises_enterpriseyear (enterprise_id, year, revenue, rd_spending, taxes, recorded_at)
SELECT e.id, y.year, round((300 + 40000 * {R.format(x="e.id + y.year")})::numeric, 2),
    round(((300 + 40000 * {R.format(x="e.id + y.year")}) * (0.01 + 0.1 * {R.format(x="e.id * 7 + y.year")}))::numeric, 2),
    NULL, now()
FROM enterprises_enterprise e CROSS JOIN (VALUES (2024), (2025)) AS y(year)
WHERE e.credit_code LIKE 'BENCH%%' AND e.id %% 13 <> 0
"""

LOAD_QUALIFICATIONS = """
INSERT INTO enterprises_qualification (enterprise_id, kind, certificate_number, valid_from, valid_until, recorded_at)
SELECT e.id, q.kind, '', date '2025-01-01', date '2027-12-31', now()
FROM enterprises_enterprise e CROSS JOIN (VALUES ('high_tech', 7), ('tech_based', 3), ('specialized', 29),
    ('little_giant', 97), ('gazelle', 41)) AS q(kind, every)
WHERE e.credit_code LIKE 'BENCH%%' AND e.id %% q.every = 0
"""

LOAD_PLATFORMS = """
INSERT INTO enterprises_innovationplatform (name, kind, level, enterprise_id, institution, recognized_on,
    valid_until)
SELECT '基准平台' || e.id, 'tech_center', CASE WHEN e.id %% 1000 = 0 THEN 'national' ELSE 'municipal' END, e.id, '',
    date '2024-01-01', NULL
FROM enterprises_enterprise e WHERE e.credit_code LIKE 'BENCH%%' AND e.id %% 50 = 0
"""


def load() -> float:
    started = time.perf_counter()
    if not Enterprise.objects.filter(credit_code__startswith="BENCH").exists():
        _execute(LOAD_ENTERPRISES, {"count": ENTERPRISES})
        for sql in (LOAD_YEARS, LOAD_QUALIFICATIONS, LOAD_PLATFORMS):
            _execute(sql, {"unused": 0})  # params, so that %% reads as %
        _execute("ANALYZE")
    return time.perf_counter() - started


def measures() -> list[Policy]:
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    departments = {}
    for row in data["departments"]:
        departments[row["code"]], _ = Department.objects.get_or_create(
            code=row["code"], defaults={key: value for key, value in row.items() if key != "code"}
        )
    made = []
    with clock.frozen_at(NOW - datetime.timedelta(days=30)):
        for row in data["measures"]:
            made.append(
                policies.save_policy(
                    None,
                    row["code"],
                    conditions=[{"fact": f, "operator": o, "value": v} for f, o, v in row["conditions"]],
                    publish=True,
                    title=row["title"],
                    area=row["area"],
                    text=row["requirements"],
                    beneficiaries=row["beneficiaries"],
                    requirements=row["requirements"],
                    amount=Decimal(str(row["amount"])) if row.get("amount") is not None else None,
                    amount_text=row["amount_text"],
                    budget=None,
                    valid_from=datetime.date(2025, 1, 1),
                    department=departments[row["dept"]],
                    mode=row.get("mode", "all"),
                    automatic=bool(row.get("automatic")),
                )
            )
    return made


PLAIN = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


def _plain(condition, facts):
    value = facts.get(condition["fact"])
    if value is None:
        return None
    if condition["operator"] == "in":
        return value in condition["value"]
    if condition["operator"] == "contains":
        return condition["value"] in value
    return PLAIN[condition["operator"]](value, condition["value"])


def evaluation_baseline(compiled, sample: int = 20000) -> tuple[float, float]:
    """(seconds per 1,000,000 verdicts with plain Python, the same with the platform's `judge`) over the facts
    of `sample` enterprises read once."""
    enterprises = list(Enterprise.objects.order_by("pk")[:sample])
    facts = facts_for(enterprises, clock.today())
    rows = [facts[e.pk] for e in enterprises]
    started = time.perf_counter()
    for found in rows:
        for _pk, mode, conditions, _rules in compiled:
            results = [_plain(c, found) for c in conditions]
            (any if mode == "any" else all)(r is True for r in results)
    plain = time.perf_counter() - started
    started = time.perf_counter()
    for found in rows:
        for _pk, mode, conditions, compiled_rules in compiled:
            matching.judge(conditions, mode, found, compiled_rules)
    judged = time.perf_counter() - started
    verdicts = len(rows) * len(compiled)
    return plain / verdicts * 1e6, judged / verdicts * 1e6


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _user(username, role, department=None, enterprise=None):
    user, _ = User.objects.update_or_create(
        username=username, defaults={"department": department, "enterprise": enterprise}
    )
    user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)


def run(lines: list, figures: dict, runs: int) -> None:
    with clock.frozen_at(NOW):
        _run(lines, figures, runs)


def _run(lines, figures, runs):
    seconds = load()
    made = measures()
    enterprises = Enterprise.objects.count()
    compiled = []
    for p in made:
        conditions = [{"fact": c.fact, "operator": c.operator, "value": c.value} for c in p.conditions.all()]
        compiled.append((p.pk, p.mode, conditions, [rules.compiled(c) for c in conditions]))
    rss_before = _rss_mb()
    tracemalloc.start()
    started = time.perf_counter()
    counts = matching.refresh()
    refresh_s = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = _rss_mb() - rss_before
    plain_us, judged_us = evaluation_baseline(compiled)
    verdicts = counts["enterprises"] * counts["policies"]
    figures["policies"] = {
        "enterprises": enterprises,
        "policies": counts["policies"],
        "verdicts": verdicts,
        "refresh_s": round(refresh_s, 1),
        "verdicts_per_s": round(verdicts / refresh_s),
        "python_peak_mb": round(peak / 1024 / 1024, 1),
        "rss_growth_mb": round(rss_growth, 1),
        "judge_us": round(judged_us, 2),
        "plain_us": round(plain_us, 2),
    }
    # The paying department's 政策找企业 page and the enterprise's own list.
    policy = Policy.objects.get(code="jfh-innovation-03")
    head = _user("bench-policy-head", "department_head", policy.department)
    sample = PolicyMatch.objects.filter(policy=policy, verdict="eligible").values_list(
        "enterprise_id", flat=True
    )[0]
    owner = _user("bench-policy-owner", "applicant", enterprise=Enterprise.objects.get(pk=sample))
    officer, enterprise_client = Client(HTTP_HOST="localhost"), Client(HTTP_HOST="localhost")
    officer.force_login(head)
    enterprise_client.force_login(owner)
    url = f"/policies/{policy.code}/"
    pages = {
        "政策找企业: eligible enterprises, first page": lambda: officer.get(url),
        "政策找企业: a chain's eligible enterprises, page 3": lambda: officer.get(
            url, {"chain": "materials", "page": 3}
        ),
        "政策找企业: enterprises with data missing": lambda: officer.get(url, {"verdict": "unknown"}),
        "the policies' list (officer, 40 with counts)": lambda: officer.get("/policies/"),
        "我可享受的政策 (an enterprise, 40 verdicts)": lambda: enterprise_client.get("/policies/"),
    }
    page_rows = []
    for name, fetch in pages.items():
        assert fetch().status_code == 200, name
        p50, p95, n = latency(fetch, runs)
        page_rows.append((name, p50, p95, n))
        figures["policies"][f"page: {name}"] = {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1)}
    claim_rows = bench_claims(figures)
    lines += [
        f"## 9. Enterprise policies: {enterprises:,} enterprises × {counts['policies']} policies ({connection.vendor})",
        "",
        f"Files loaded in bulk in {seconds:.0f} s ({ENTERPRISES:,} enterprises with profiles, two years of figures,",
        "qualifications and platforms; about one in eleven lacks its head-count and one in thirteen its figures, so",
        'some verdicts are "data missing").',
        "",
        "| whole-zone matching | value |",
        "|---|---|",
        f"| verdicts computed and stored | {verdicts:,} ({counts['eligible']:,} eligible, {counts['unknown']:,} data missing) |",
        f"| time | {refresh_s:.1f} s ({verdicts / refresh_s:,.0f} verdicts/s) |",
        f"| peak of Python's allocations (tracemalloc) | {peak / 1024 / 1024:.1f} MB |",
        f"| process RSS growth | {rss_growth:.1f} MB |",
        f"| one verdict by `judge` (datalogic-py) | {judged_us:.2f} µs |",
        f"| baseline: the same conditions by plain Python comparisons | {plain_us:.2f} µs |",
        f"| ratio judge / plain | {judged_us / plain_us:.1f}× |",
        "",
        "The refresh holds one chunk of 1,000 enterprises' facts and verdicts at a time, so its memory does not",
        "grow with the zone; its time is mostly the stored verdicts' writes and the facts' reads.",
        "",
        "| page (rendered, through the test client) | p50 ms | p95 ms | runs |",
        "|---|---|---|---|",
        *[f"| {name} | {p50:.1f} | {p95:.1f} | {n} |" for name, p50, p95, n in page_rows],
        "",
        *claim_rows,
        "",
    ]


def bench_claims(figures) -> list[str]:
    """Claims through the services against bare ORM writes of the same rows."""
    policy = Policy.objects.get(code="jfh-finance-07")  # small and micro enterprises: many eligible
    Policy.objects.filter(pk=policy.pk).update(automatic=True, budget=None)
    policy.refresh_from_db()
    reviewer = _user("bench-policy-reviewer", "department_reviewer", policy.department)
    eligible = list(
        PolicyMatch.objects.filter(policy=policy, verdict="eligible")
        .order_by("enterprise_id")
        .values_list("enterprise_id", flat=True)[: CLAIMS * 2]
    )
    ours, bare = eligible[:CLAIMS], eligible[CLAIMS:]
    enterprises = Enterprise.objects.in_bulk(eligible)
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        for pk in ours:
            claim = claims.start_claim(None, policy, enterprises[pk])
            claim = claims.confirm(None, claim)
            claim = claims.approve(reviewer, claim)
            claims.pay(reviewer, claim, f"BENCH{pk}")
        service_s = time.perf_counter() - started
    statements = len(captured.captured_queries)
    started = time.perf_counter()
    for number, pk in enumerate(bare):
        claim = Claim.objects.create(
            number=f"BARE{number:08d}",
            policy=policy,
            enterprise_id=pk,
            period=2026,
            route="automatic",
            status="offered",
            amount=policy.amount,
        )
        for status in ("submitted", "approved", "paid"):
            claim.status = status
            claim.save(update_fields=["status"])
    bare_s = time.perf_counter() - started
    transitions = len(ours) * 4
    figures["policies"]["claims"] = {
        "claims": len(ours),
        "transitions_per_s": round(transitions / service_s, 1),
        "bare_writes_per_s": round(len(bare) * 4 / bare_s, 1),
        "statements_per_transition": round(statements / transitions, 1),
    }
    return [
        f"Redemption: {len(ours)} claims through start → confirm → approve → pay by the services "
        "(each locks, checks the table, audits, notifies; confirm re-reads the enterprise file).",
        "",
        "| | transitions/s | statements per transition |",
        "|---|---|---|",
        f"| the services | {transitions / service_s:.1f} | {statements / transitions:.1f} |",
        f"| baseline: the same rows by bare ORM writes | {len(bare) * 4 / bare_s:.1f} | 1 |",
        f"| ratio services / bare | {(transitions / service_s) / (len(bare) * 4 / bare_s):.2f} | |",
    ]
