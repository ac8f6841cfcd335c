#!/usr/bin/env python3
"""Run pytest and treat "no tests collected" (exit 5) as a failure: a run that tests nothing proves nothing."""

import sys

import pytest

code = pytest.main(["-q", *sys.argv[1:]])
if code == pytest.ExitCode.NO_TESTS_COLLECTED:
    print("run_pytest: no tests were collected; failing on purpose.", file=sys.stderr)
    sys.exit(1)
sys.exit(int(code))
