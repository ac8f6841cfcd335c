#!/usr/bin/env python3
"""Run pytest and treat "no tests collected" (exit 5) as a failure: a run that tests nothing proves nothing.

The tests run in parallel processes (pytest-xdist): `PYTEST_WORKERS` of them, by default one per CPU this
process may use; `PYTEST_WORKERS=0` runs them in this process, one after another (for a debugger, or to rule
the distribution out). Each worker has its own test database (pytest-django names it after the worker), its
own live server and browser. `--dist loadfile` hands out runs of one file's tests, in pytest-django's order,
each to the next worker that is free (tests/scheduling.py): a module-scoped fixture is built once, as in a
serial run. `-n` or `--dist` among the arguments win.
"""

import os
import sys

import pytest


def workers() -> int:
    """PYTEST_WORKERS, or one per CPU; 0 means no worker processes."""
    value = os.environ.get("PYTEST_WORKERS", "").strip()
    if value:
        return max(0, int(value))
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cpus if cpus > 1 else 0  # one worker process on one CPU would only add its start-up


def parallel_args(argv: list[str]) -> list[str]:
    count = workers()
    chosen = any(arg in ("-n", "--numprocesses") or arg.startswith(("-n", "--numprocesses=")) for arg in argv)
    if count == 0 or chosen or "no:xdist" in argv:
        return []
    dist = [] if any(arg.startswith("--dist") for arg in argv) else ["--dist", "loadfile"]
    return ["-n", str(count), *dist]


def main(argv: list[str]) -> int:
    code = pytest.main(["-q", *parallel_args(argv), *argv])
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        print("run_pytest: no tests were collected; failing on purpose.", file=sys.stderr)
        return 1
    return int(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
