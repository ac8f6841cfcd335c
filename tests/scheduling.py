"""How pytest-xdist hands the tests to its workers (`--dist loadfile`, as scripts/run_pytest.py asks): by runs
of one file's tests, in pytest-django's order. tests/conftest.py installs it.

xdist's own `loadfile` keeps each file's tests on one worker, so that a module-scoped fixture (the demo world,
the API matrix's world, a PostgreSQL cluster) is built once. But it hands the files out biggest first and
gathers each file's tests from wherever pytest-django put them, and pytest-django's order matters: first the
tests inside a transaction that is rolled back, then those with `transaction=True`, whose end empties every
table — the rows data migrations seeded (interaction lists, meeting rules, …) included — then those without a
database. A file holding both kinds would run its emptying tests before other files' rolled-back ones on the
same worker, which then miss the seeded rows.

Here a unit of work is a run of consecutive tests of one file in pytest-django's order (a file with both kinds
is two runs), and the units go out in that order, each to the next worker that is free. So every worker sees
its tests in pytest-django's order, and a module-scoped fixture is built once per run, as in a serial run.
(`--dist loadgroup` cannot do this with pytest 9.2: xdist 3.8 marks a group by rewriting the tests' ids, which
pytest 9.2 ignores, so it silently stops grouping — pytest-dev/pytest-xdist#1386.)

xdist's scope schedulers know a test by its id, and with pytest 9.2 schemathesis gives all its generated tests
one id (tests/api/test_schemathesis.py: 230 tests, one per API operation, all
`…::test_no_request_makes_a_server_error`): they would run one of them and count it once. So repeated ids are
told apart here by their rank (`…#2`, `…#3`, …) before anything else sees them.
"""

from collections import Counter

from xdist.scheduler import LoadScopeScheduling


class FileRunScheduling(LoadScopeScheduling):
    def __init__(self, config, log=None):
        super().__init__(config, log)
        # Hand the runs out in the collection's order, not biggest first (which would break the order above).
        config.option.loadscopereorder = False
        self.runs: dict[str, str] = {}

    def add_node_collection(self, node, collection):
        seen = Counter()
        unique = []
        for nodeid in collection:
            seen[nodeid] += 1
            unique.append(nodeid if seen[nodeid] == 1 else f"{nodeid}#{seen[nodeid]}")
        super().add_node_collection(node, unique)

    def _split_scope(self, nodeid: str) -> str:
        if not self.runs:  # the collection is known from the first call on (LoadScopeScheduling.schedule)
            number, previous = 0, None
            for each in self.collection:
                path = each.split("::", 1)[0]
                if path != previous:
                    number, previous = number + 1, path
                self.runs[each] = f"{path} (run {number})"
        return self.runs[nodeid]
