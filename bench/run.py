"""`make bench`: measurements of what the platform has so far, written to bench/results/<date>.md.

Each figure is a ratio against a baseline measured in the same run, so results from different machines can be
compared. Later capabilities add their sections here (approval throughput, peers, scale).

Sections now:
1. Working-day deadlines: our `add_working_days` (overrides read from the database, pauses) against a bare
   loop over `chinese_calendar.is_workday`, which knows no overrides and no pauses.
2. Registry lists at scale: the project list of an enterprise applicant and of civil servants with
   BENCH_PROJECTS projects (default 200,000), p50/p95 latency and the query plans.
"""

import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sciencecity.settings")
django.setup()

import chinese_calendar  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from sciencecity.accounts.models import User  # noqa: E402
from sciencecity.enterprises.models import Enterprise  # noqa: E402
from sciencecity.enterprises.validators import make_credit_code  # noqa: E402
from sciencecity.projects.models import Project  # noqa: E402
from sciencecity.workdays.calendar import add_working_days  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PROJECTS = int(os.environ.get("BENCH_PROJECTS", "200000"))
ENTERPRISES = max(PROJECTS // 20, 10)


def naive_add_working_days(start, n):
    day, counted = start, 0
    while counted < n:
        day += datetime.timedelta(days=1)
        if chinese_calendar.is_workday(day):
            counted += 1
    return day


def bench_deadlines(lines):
    rng = random.Random(1)
    cases = [
        (
            datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randrange(600)),
            rng.choice([1, 5, 10, 20, 60]),
        )
        for _ in range(2000)
    ]
    cases = [(start, n) for start, n in cases if naive_add_working_days(start, n).year <= 2026]
    started = time.perf_counter()
    baseline = [naive_add_working_days(start, n) for start, n in cases]
    baseline_s = time.perf_counter() - started
    started = time.perf_counter()
    ours = [add_working_days(start, n) for start, n in cases]
    ours_s = time.perf_counter() - started
    assert ours == baseline, "the two calendars disagree"
    lines += [
        "## 1. Working-day deadlines",
        "",
        f"{len(cases)} deadlines of 1–60 working days in 2025–2026.",
        "",
        "| | deadlines/s | ratio |",
        "|---|---:|---:|",
        f"| baseline: bare `chinese_calendar` loop | {len(cases) / baseline_s:,.0f} | 1.00 |",
        f"| `add_working_days` (one override query each) | {len(cases) / ours_s:,.0f} | {baseline_s / ours_s:.2f} |",
        "",
        "Deadlines are computed once and stored (ARCHITECTURE.md rule 4), so this is far from any hot path.",
        "",
    ]


def load_projects():
    if Project.objects.count() >= PROJECTS:
        return
    rng = random.Random(2)
    started = time.perf_counter()
    enterprises = Enterprise.objects.bulk_create(
        [
            Enterprise(
                name=f"基准企业{i}",
                credit_code=make_credit_code("500106", 50_000_000 + i),
                legal_representative="李四",
            )
            for i in range(ENTERPRISES)
        ],
        batch_size=5000,
    )
    phases = [choice for choice, _ in Project.Phase.choices]
    Project.objects.bulk_create(
        [
            Project(
                code=f"2026-500106-47-01-{i:06d}"
                if i < 1_000_000
                else f"2027-500106-47-01-{i - 1_000_000:06d}",
                name=f"基准项目{i}",
                enterprise=enterprises[rng.randrange(len(enterprises))],
                total_investment=rng.randrange(1000, 500000),
                location="科学城",
                phase=rng.choice(phases),
                is_key=rng.random() < 0.49,
            )
            for i in range(PROJECTS)
        ],
        batch_size=5000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return time.perf_counter() - started


def latency(queryset_factory, runs=200):
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        list(queryset_factory())
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def bench_lists(lines):
    load_seconds = load_projects()
    applicant = User.objects.get_or_create(
        username="bench-applicant", defaults={"enterprise": Enterprise.objects.first()}
    )[0]
    leader = User.objects.get_or_create(username="bench-leader")[0]
    leader.groups.add(
        *__import__("django.contrib.auth.models", fromlist=["Group"]).Group.objects.filter(name="leader")
    )
    leader = User.objects.get(pk=leader.pk)
    cases = {
        "applicant: own enterprise's projects, newest first": lambda: Project.objects.for_user(
            applicant
        ).order_by("-created_at", "-id")[:50],
        "leader: key projects, newest first": lambda: (
            Project.objects.for_user(leader).filter(is_key=True).order_by("-created_at", "-id")[:50]
        ),
        "leader: projects in a phase and key": lambda: Project.objects.for_user(leader).filter(
            phase="under_construction", is_key=True
        )[:50],
        "baseline: primary-key lookup": lambda: Project.objects.filter(pk=PROJECTS // 2),
    }
    lines += [
        f"## 2. Registry lists with {PROJECTS:,} projects ({connection.vendor})",
        "",
        f"Bulk load: {load_seconds:.1f} s." if load_seconds else "Projects already loaded.",
        "",
        "| list (first page of 50) | p50 ms | p95 ms |",
        "|---|---:|---:|",
    ]
    plans = []
    for name, factory in cases.items():
        p50, p95 = latency(factory)
        lines.append(f"| {name} | {p50:.2f} | {p95:.2f} |")
        plans.append(f"### {name}\n\n```\n{factory().explain()}\n```\n")
    lines += ["", "Query plans:", "", *plans]


def main():
    call_command("migrate", verbosity=0)
    lines = [
        f"# Benchmarks {datetime.date.today():%Y-%m-%d}",
        "",
        f"Database: {connection.vendor}; Python {sys.version.split()[0]}; {os.cpu_count()} CPUs.",
        "",
    ]
    bench_deadlines(lines)
    bench_lists(lines)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{datetime.date.today():%Y-%m-%d}.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
