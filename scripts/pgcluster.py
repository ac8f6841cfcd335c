"""Throwaway PostgreSQL clusters for the test run, the fault-injection run and the tests of operations.

One class starts a cluster in a temporary directory on a free local port (as the `postgres` user when we are
root: the server refuses to run as root), and can stop it fast or immediately, start it again, and make a
streaming replica of itself with `pg_basebackup`. `scripts/with_postgres.py` runs the suite against one; the
tests of replicas, backups and database restarts start their own (`tests/ops`).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time


class ClusterError(RuntimeError):
    pass


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


def owned_tempdir(prefix: str) -> str:
    """A private directory the cluster's owner may write."""
    workdir = tempfile.mkdtemp(prefix=prefix)
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(workdir, owner.pw_uid, owner.pw_gid)
    os.chmod(workdir, 0o700)
    return workdir


class Cluster:
    """A PostgreSQL cluster of its own directory and port; `durable=False` turns fsync off (a test run)."""

    def __init__(self, bindir: str | None = None, *, durable: bool = False, prefix: str = "sciencecity-pg-"):
        self.bindir = bindir or find_bindir()
        if self.bindir is None:
            raise ClusterError("PostgreSQL binaries (initdb, pg_ctl) not found")
        self.workdir = owned_tempdir(prefix)
        self.datadir = os.path.join(self.workdir, "data")
        self.port = free_port()
        self.durable = durable

    def bin(self, name: str) -> str:
        return os.path.join(self.bindir, name)

    def url(self, database: str = "sciencecity", user: str = "postgres") -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{database}"

    def initdb(self) -> Cluster:
        subprocess.run(
            as_cluster_owner(
                [
                    self.bin("initdb"),
                    *("-D", self.datadir, "-U", "postgres", "-A", "trust", "-E", "UTF8"),
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return self

    def options(self) -> str:
        options = (
            f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c max_connections=200 "
            "-c wal_level=replica -c max_wal_senders=10 -c hot_standby=on"
        )
        if not self.durable:
            # Durability settings off: this cluster lives for one run.
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        return options

    def start(self, timeout: float = 30) -> Cluster:
        subprocess.run(
            as_cluster_owner(
                [
                    self.bin("pg_ctl"),
                    *("-D", self.datadir, "-l", os.path.join(self.workdir, "server.log")),
                    *("-o", self.options(), "-w", "-t", str(int(timeout)), "start"),
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while (
            subprocess.call(
                [self.bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                stdout=subprocess.DEVNULL,
            )
            != 0
        ):
            if time.monotonic() > deadline:
                raise ClusterError(f"the server on port {self.port} did not become ready")
            time.sleep(0.2)

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends sessions and shuts down cleanly; `immediate` is a crash (recovery at the next start)."""
        subprocess.run(
            as_cluster_owner([self.bin("pg_ctl"), "-D", self.datadir, "-m", mode, "-w", "stop"]),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def createdb(self, name: str = "sciencecity") -> str:
        subprocess.run(
            [self.bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name],
            check=True,
        )
        return self.url(name)

    def psql(self, sql: str, database: str = "sciencecity") -> str:
        return subprocess.run(
            [self.bin("psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql, self.url(database)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    def replica(self) -> Cluster:
        """A hot standby streaming from this cluster (pg_basebackup -R writes its connection settings)."""
        standby = Cluster(self.bindir, durable=self.durable, prefix="sciencecity-replica-")
        subprocess.run(
            as_cluster_owner(
                [
                    self.bin("pg_basebackup"),
                    *("-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"),
                    *("-D", standby.datadir, "-R", "-X", "stream", "--no-sync"),
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return standby.start()

    def remove(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
