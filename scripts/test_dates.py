#!/usr/bin/env python3
"""Run the date-sensitive tests (marked `any_day`) again with the suite's clock at hard moments.

No test may depend on the real date (tests/conftest.py freezes every test at SCIENCECITY_TEST_NOW). These runs
prove that the journeys that depend on "today" — acceptance, review deadlines, the browser journey, the demo —
also work on the days that broke them before:

- 2026-12-28: the last days of a year whose successor's holidays are not published (deadlines provisional);
- 2027-02-01: inside such a year, the Spring Festival ahead (every deadline provisional);
- 2027-06-15 with 2027 confirmed by administrators (the year's schedule entered, deadlines official again).

The moments run at the same time, each in one process (`PYTEST_WORKERS=0` for its run_pytest.py): nearly all
of a moment's time is tests/test_demo.py building the demo world, which one process does, so workers inside a
moment would wait for it, while the three builds side by side keep every CPU busy. `PYTEST_WORKERS=0` (or a
single CPU) runs the moments one after another instead. Each moment's output is printed when it ends.

Extra arguments go to pytest. Exit status: the first failing moment's (in the order above).
"""

import contextlib
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from scripts.run_pytest import workers  # noqa: E402

MOMENTS = [
    ("2026-12-28T10:00:00+08:00", ""),
    ("2027-02-01T10:00:00+08:00", ""),
    ("2027-06-15T10:00:00+08:00", "2027"),
]

here = os.path.dirname(os.path.abspath(__file__))


def label(moment: str, confirmed: str) -> str:
    return moment[:10] + (f" ({confirmed} confirmed)" if confirmed else "")


def start(moment: str, confirmed: str, output) -> subprocess.Popen:
    env = dict(
        os.environ,
        SCIENCECITY_TEST_NOW=moment,
        SCIENCECITY_TEST_CONFIRMED_YEARS=confirmed,
        PYTEST_WORKERS="0",
    )
    command = [sys.executable, os.path.join(here, "run_pytest.py"), "-m", "any_day", *sys.argv[1:]]
    return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)


def header(moment: str, confirmed: str) -> str:
    return f"test_dates: the any_day tests at {label(moment, confirmed)}"


def main() -> int:
    if workers() == 0:
        for moment, confirmed in MOMENTS:
            print(header(moment, confirmed), flush=True)
            code = start(moment, confirmed, None).wait()
            if code:
                print(f"test_dates: failed at {label(moment, confirmed)}", file=sys.stderr)
                return code
        return 0

    print("test_dates: the three moments side by side; each one's output follows when it ends", flush=True)
    first_failure = 0
    with contextlib.ExitStack() as files:
        runs = []
        for moment, confirmed in MOMENTS:
            output = files.enter_context(tempfile.TemporaryFile())
            runs.append((moment, confirmed, output, start(moment, confirmed, output)))
        for moment, confirmed, output, process in runs:
            code = process.wait()
            print(header(moment, confirmed), flush=True)
            output.seek(0)
            sys.stdout.buffer.write(output.read())
            sys.stdout.flush()
            if code:
                print(f"test_dates: failed at {label(moment, confirmed)}", file=sys.stderr, flush=True)
                first_failure = first_failure or code
    return first_failure


if __name__ == "__main__":
    sys.exit(main())
