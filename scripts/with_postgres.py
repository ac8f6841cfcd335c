#!/usr/bin/env python3
"""Run a command with DATABASE_URL pointing at a real PostgreSQL.

If DATABASE_URL already names a PostgreSQL server, the command runs against it. Otherwise a throwaway cluster
is created in a temporary directory, started on a free local port (as the `postgres` user when we are root,
because the server refuses to run as root), and removed afterwards. If no PostgreSQL binaries are installed
this fails loudly: `make test` must never pass while silently skipping PostgreSQL. Set ALLOW_NO_POSTGRES=1 to
skip on a developer machine without PostgreSQL, knowing the PostgreSQL half did not run.

    python scripts/with_postgres.py pytest -q
"""

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def find_bindir() -> str | None:
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip()
        if os.path.exists(os.path.join(bindir, "initdb")):
            return bindir
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return (
        os.path.dirname(candidates[-1])
        if candidates
        else (os.path.dirname(shutil.which("initdb") or "") or None)
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_cluster_owner(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


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

    workdir = tempfile.mkdtemp(prefix="sciencecity-pg-")
    datadir = os.path.join(workdir, "data")
    port = free_port()
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(workdir, owner.pw_uid, owner.pw_gid)
    os.chmod(workdir, 0o700)
    pg_ctl = os.path.join(bindir, "pg_ctl")
    try:
        subprocess.run(
            as_cluster_owner(
                [
                    os.path.join(bindir, "initdb"),
                    "-D",
                    datadir,
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        # Durability settings off: this cluster lives for one test run.
        options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        subprocess.run(
            as_cluster_owner(
                [
                    pg_ctl,
                    "-D",
                    datadir,
                    "-l",
                    os.path.join(workdir, "server.log"),
                    "-o",
                    options,
                    "-w",
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while (
            subprocess.call(
                [os.path.join(bindir, "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                stdout=subprocess.DEVNULL,
            )
            != 0
        ):
            if time.monotonic() > deadline:
                print("with_postgres: the server did not become ready", file=sys.stderr)
                return 3
            time.sleep(0.2)
        subprocess.run(
            [
                os.path.join(bindir, "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "sciencecity",
            ],
            check=True,
        )
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{port}/sciencecity"
        print(f"with_postgres: PostgreSQL ({bindir}) on 127.0.0.1:{port}", file=sys.stderr)
        return run_command(argv, env)
    finally:
        with contextlib.suppress(Exception):
            subprocess.run(
                as_cluster_owner([pg_ctl, "-D", datadir, "-m", "immediate", "-w", "stop"]),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
