#!/usr/bin/env python3
"""Run a command with DATABASE_URL pointing at a real PostgreSQL.

If DATABASE_URL already names a PostgreSQL server, the command runs against it. Otherwise a throwaway cluster
is created in a temporary directory, started on a free local port (as the `postgres` user when we are root,
because the server refuses to run as root), and removed afterwards (scripts/pgcluster.py). If no PostgreSQL
binaries are installed this fails loudly: `make test` must never pass while silently skipping PostgreSQL. Set
ALLOW_NO_POSTGRES=1 to skip on a developer machine without PostgreSQL, knowing the PostgreSQL half did not run.

    python scripts/with_postgres.py pytest -q
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from scripts.pgcluster import Cluster, ClusterError, find_bindir  # noqa: E402


def run_command(argv: list[str], env: dict) -> int:
    code = subprocess.call(argv, env=env)
    if code == 5:
        print(
            "with_postgres: the command collected no tests (pytest exit 5): that counts as a failure.",
            file=sys.stderr,
        )
        return 1
    return code


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    env = dict(os.environ)
    if env.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return run_command(argv, env)

    bindir = find_bindir()
    if bindir is None:
        if env.get("ALLOW_NO_POSTGRES") == "1":
            print(
                "with_postgres: no PostgreSQL binaries; skipping the PostgreSQL run (ALLOW_NO_POSTGRES=1).",
                file=sys.stderr,
            )
            return 0
        print(
            "with_postgres: PostgreSQL binaries (initdb, pg_ctl) not found. Install the PostgreSQL server "
            "(apt-get install postgresql) or set DATABASE_URL to a PostgreSQL server.",
            file=sys.stderr,
        )
        return 3

    with Cluster(bindir) as cluster:
        try:
            cluster.initdb().start()
        except ClusterError as error:
            print(f"with_postgres: {error}", file=sys.stderr)
            return 3
        env["DATABASE_URL"] = cluster.createdb()
        print(f"with_postgres: PostgreSQL ({bindir}) on 127.0.0.1:{cluster.port}", file=sys.stderr)
        return run_command(argv, env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
