"""Where one application's time goes: `python -m bench.profile [count]` (section 3 of `make bench` runs it too).

Drives `count` complete 开工一件事 applications in this process exactly as `bench.lifecycle` does (DEBUG off), under
pyinstrument, and sums the profile by service call (submit, verdicts, accept, claim, approve, deliver) and by
kind of work: database round trips (psycopg and the server's answer), the ORM compiling querysets into SQL, the
ORM building model instances, translation (notifications are written in both languages), the working-day
calendar, and the rest of our Python. It also reports the process's CPU time per application, and the same for
SpiffWorkflow running its model in this process, which is a steadier comparison than wall time on a busy machine.
Prints JSON; with PROFILE_TEXT=path it writes pyinstrument's text tree there.

It runs against DATABASE_URL (PostgreSQL under `make bench`), in the bench world of `bench.lifecycle`.
"""

import json
import os
import sys
import time

SERVICES = {
    "submit_application": "submit",
    "record_verdicts": "record_verdicts",
    "accept_application": "accept",
    "claim_task": "claim_task",
    "approve_task": "approve_task",
    "deliver_application": "deliver",
}
# Innermost match wins: a psycopg frame under the ORM's execute_sql is a round trip, not compiling.
KINDS = [
    ("database round trips", ("/psycopg/",)),
    (
        "ORM: compiling querysets into SQL",
        (
            "/django/db/models/sql/",
            "/django/db/models/expressions.py",
            "/django/db/models/lookups.py",
            "/django/db/models/query_utils.py",
        ),
    ),
    (
        "ORM: building model instances",
        (
            "/django/db/models/base.py",
            "/django/db/models/fields/related_descriptors.py",
            "/django/db/models/query.py",
        ),
    ),
    ("translation", ("/django/utils/translation/",)),
    ("working-day calendar", ("/sciencecity/workdays/", "/chinese_calendar/")),
]


def _kind(path: str) -> str | None:
    for name, parts in KINDS:
        if any(part in path for part in parts):
            return name
    return None


def _walk(frame, kind, service, by_kind, by_service):
    kind = _kind(frame.file_path or "") or kind
    service = SERVICES.get(frame.function, service)
    by_kind[kind] = by_kind.get(kind, 0.0) + _self(frame)
    if service:
        by_service[service] = by_service.get(service, 0.0) + _self(frame)
    for child in frame.children:
        _walk(child, kind, service, by_kind, by_service)


def _self(frame) -> float:
    return frame.time - sum(child.time for child in frame.children)


def profile(count: int) -> dict:
    from django.test import override_settings
    from pyinstrument import Profiler

    from bench import lifecycle
    from sciencecity.workdays import clock

    world = lifecycle.bench_world()
    drafts = lifecycle.prepare_drafts(world, count + 1)
    reviewers = lifecycle.bench_reviewers()
    for user in (world.applicant, world.clerk, *reviewers.values()):
        user.get_all_permissions()
    with override_settings(MEDIA_ROOT=str(lifecycle.MEDIA), DEBUG=False), clock.frozen_at(lifecycle.MOMENT):
        lifecycle.complete_application(world, reviewers, drafts[0], 0)  # warm the process's caches
        cpu, wall = time.process_time(), time.perf_counter()
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for n, pk in enumerate(drafts[1:]):
            lifecycle.complete_application(world, reviewers, pk, n)
        profiler.stop()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    by_kind, by_service = {}, {}
    root = profiler.last_session.root_frame()
    _walk(root, "our Python and the rest", None, by_kind, by_service)
    total = sum(by_kind.values())
    if path := os.environ.get("PROFILE_TEXT"):
        with open(path, "w", encoding="utf-8") as out:
            out.write(profiler.output_text(unicode=True, color=False))
    return {
        "applications": count,
        "ms_per_application": {"wall": wall / count * 1000, "cpu": cpu / count * 1000},
        "by_service_ms": {name: seconds / count * 1000 for name, seconds in by_service.items()},
        "by_kind_share": {
            name: seconds / total for name, seconds in sorted(by_kind.items(), key=lambda i: -i[1])
        },
        "spiff_ms_per_application": _spiff_cpu(count),
    }


def _spiff_cpu(count: int) -> dict:
    """SpiffWorkflow's wall and CPU time per application of its model, in this process (DEBUG off)."""
    from django.test import override_settings
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

    from bench import spiff

    spiff.create_table()
    spec, serializer = spiff._spec(), BpmnWorkflowSerializer()
    with override_settings(DEBUG=False):
        spiff.run_one(spec, serializer)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(count):
            spiff.run_one(spec, serializer)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"wall": wall / count * 1000, "cpu": cpu / count * 1000}


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sciencecity.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    print(json.dumps(profile(count), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
