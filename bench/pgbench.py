"""The machine's limit: pgbench's single-row INSERT rate against the same server, in the same run.

A custom script inserts one narrow row per transaction (autocommit, like each of our service calls commits
once); 4 clients on 2 threads, no vacuum (`-n`), for `BENCH_PGBENCH_SECONDS` (default 15).
"""

import os
import re
import shutil
import subprocess
import tempfile
from urllib.parse import urlparse

from django.db import connection

TABLE = "bench_pgbench_insert"
SCRIPT = f"INSERT INTO {TABLE} (payload) VALUES ('one row');\n"


def pgbench_binary() -> str | None:
    for candidate in (shutil.which("pgbench"), "/usr/bin/pgbench", "/usr/lib/postgresql/15/bin/pgbench"):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def run_pgbench(seconds: int, clients: int = 4, threads: int = 2) -> dict:
    binary = pgbench_binary()
    if binary is None:
        raise RuntimeError("pgbench not found")
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, payload text NOT NULL, "
            "created_at timestamptz NOT NULL DEFAULT now())"
        )
    url = urlparse(os.environ["DATABASE_URL"])
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(SCRIPT)
    argv = [
        binary,
        "-n",
        "-c",
        str(clients),
        "-j",
        str(threads),
        "-T",
        str(seconds),
        "-f",
        script.name,
        "-h",
        url.hostname or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
        url.path.lstrip("/"),
    ]
    try:
        output = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    tps = float(re.search(r"tps = ([\d.]+)", output).group(1))
    latency = re.search(r"latency average = ([\d.]+) ms", output)
    return {
        "command": " ".join(["pgbench", *argv[1:8], "-f", "insert.sql"]),
        "clients": clients,
        "threads": threads,
        "seconds": seconds,
        "inserts_per_s": tps,
        "latency_ms": float(latency.group(1)) if latency else None,
        "script": SCRIPT.strip(),
    }
