"""`manage.py check_invariants [--only NAME ...] [--limit 50] [--json] [--requeue]`: check the data's invariants.

Runs every invariant of `sciencecity.ops.invariants` (set-based queries, safe on production: they only read),
prints each with its violations and the counts, and exits 1 when any is violated. `--requeue` first puts back
in the queue the background tasks abandoned by a killed worker (what the overview's refresh does every few
minutes). `--json` prints one JSON object instead (the fault-injection run reads it).
"""

import json
import time

from django.core.management.base import BaseCommand, CommandError

from sciencecity.ops import invariants, recovery


class Command(BaseCommand):
    help = "Check the platform's invariants by queries; exit status 1 when any is violated."

    def add_arguments(self, parser):
        parser.add_argument("--only", nargs="+", metavar="NAME", help="check only these invariants")
        parser.add_argument(
            "--limit", type=int, default=invariants.LIMIT, help="violations shown per invariant"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--requeue", action="store_true", help="first put back the tasks abandoned by a killed worker"
        )
        parser.add_argument(
            "--list", action="store_true", dest="list_only", help="list the invariants and exit"
        )

    def handle(self, *args, only=None, limit=invariants.LIMIT, requeue=False, list_only=False, **options):
        if list_only:
            for item in invariants.INVARIANTS:
                self.stdout.write(f"{item.name}: {item.description}")
            return
        known = {item.name for item in invariants.INVARIANTS}
        unknown = sorted(set(only or ()) - known)
        if unknown:
            raise CommandError(f"unknown invariants: {', '.join(unknown)} (see --list)")
        requeued = recovery.requeue_abandoned() if requeue else []
        results = []
        for item in invariants.INVARIANTS:
            if only and item.name not in only:
                continue
            started = time.perf_counter()
            violations = item.check(limit)
            seconds = time.perf_counter() - started
            results.append((item, violations, seconds))
        violated = sum(1 for _item, found, _seconds in results if found)
        total = sum(_count(found) for _item, found, _seconds in results)
        if options["json"]:
            self.stdout.write(
                _json(
                    {
                        "checked": len(results),
                        "violated": violated,
                        "violations": total,
                        "requeued": len(requeued),
                        "invariants": [
                            {
                                "name": item.name,
                                "description": item.description,
                                "count": _count(found),
                                "violations": found,
                                "seconds": round(seconds, 3),
                            }
                            for item, found, seconds in results
                        ],
                    }
                )
            )
        else:
            if requeued:
                self.stdout.write(f"{len(requeued)} abandoned task(s) put back in the queue")
            for item, found, seconds in results:
                mark = (
                    self.style.SUCCESS("ok") if not found else self.style.ERROR(f"{len(found)} violation(s)")
                )
                self.stdout.write(f"{item.name}: {mark} ({seconds:.2f} s) — {item.description}")
                for sentence in found:
                    self.stdout.write(f"    {sentence}")
            self.stdout.write(
                f"{len(results)} invariants checked, {violated} violated, {total} violation(s) found"
            )
        if violated:
            raise SystemExit(1)


def _count(found: list[str]) -> int:
    """How many violations `found` stands for: its sentences, and those its last line says there are more."""
    if found and found[-1].startswith("… and "):
        return len(found) - 1 + int(found[-1].split()[2])
    return len(found)


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, default=str)
