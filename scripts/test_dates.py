#!/usr/bin/env python3
"""Run the date-sensitive tests (marked `any_day`) again with the suite's clock at hard moments.

No test may depend on the real date (tests/conftest.py freezes every test at SCIENCECITY_TEST_NOW). These runs
prove that the journeys that depend on "today" — acceptance, review deadlines, the browser journey, the demo —
also work on the days that broke them before:

- 2026-12-28: the last days of a year whose successor's holidays are not published (deadlines provisional);
- 2027-02-01: inside such a year, the Spring Festival ahead (every deadline provisional);
- 2027-06-15 with 2027 confirmed by administrators (the year's schedule entered, deadlines official again).

Extra arguments go to pytest. Exit status: the first failing run's.
"""

import os
import subprocess
import sys

MOMENTS = [
    ("2026-12-28T10:00:00+08:00", ""),
    ("2027-02-01T10:00:00+08:00", ""),
    ("2027-06-15T10:00:00+08:00", "2027"),
]

here = os.path.dirname(os.path.abspath(__file__))
for moment, confirmed in MOMENTS:
    env = dict(os.environ, SCIENCECITY_TEST_NOW=moment, SCIENCECITY_TEST_CONFIRMED_YEARS=confirmed)
    label = moment[:10] + (f" ({confirmed} confirmed)" if confirmed else "")
    print(f"test_dates: the any_day tests at {label}", flush=True)
    command = [sys.executable, os.path.join(here, "run_pytest.py"), "-m", "any_day", *sys.argv[1:]]
    code = subprocess.call(command, env=env)
    if code:
        print(f"test_dates: failed at {label}", file=sys.stderr)
        sys.exit(code)
