"""The platform served as in production, for the runs that drive it over HTTP (`bench.faults`, `bench.load`).

Neither run loads Django in its own process: the world, the server, the task worker and the checks are child
processes on a throwaway cluster's DATABASE_URL. This module holds what they share: the server's environment
(DEBUG off, a fresh secret, throttles out of the way), `manage.py` in a child process, the gunicorn command
with the platform's own settings (`sciencecity/ops/gunicorn_conf.py`), the task worker's command, and the
wait until the server answers.
"""

import contextlib
import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(url: str, port: int, media_root: Path, **extra: str) -> dict:
    """The environment of the world builder, the server, the task worker and the checks: production settings
    (DEBUG off, plain HTTP on 127.0.0.1), the cluster's database, no replicas, API throttles out of the way
    (the clients are not abusers), and `extra` on top."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_COOKIES": "0",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "MEDIA_ROOT": str(media_root),
        "API_THROTTLE_USER": "1000000/minute",
        "API_THROTTLE_ANON": "1000000/minute",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    env.pop("DATABASE_REPLICA_URLS", None)
    return env


def manage(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=check
    )


def gunicorn_command(port: int, workers: int, *extra: str) -> list[str]:
    """gunicorn as the README's production section runs it (`-c python:sciencecity.ops.gunicorn_conf`), on
    127.0.0.1:`port` with `workers` sync workers; `extra` options after the settings file override it."""
    return [
        GUNICORN,
        *("-c", "python:sciencecity.ops.gunicorn_conf"),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
        *extra,
        "sciencecity.wsgi",
    ]


def worker_command(interval: float = 0.2) -> list[str]:
    """The task worker (`manage.py worker`: db_worker that waits out database outages), started at once."""
    return [PYTHON, "manage.py", "worker", "--interval", str(interval), "--no-startup-delay", "--no-reload"]


def wait_serving(port: int, timeout: float = 90, path: str = "/api/v1/catalog/bundles/?page_size=1") -> None:
    """Wait until the server on `port` answers `path` without a server error."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", path)
            if connection.getresponse().status < 500:
                connection.close()
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on port {port} in {timeout:.0f} s")


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def children_of(pid: int) -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit() and _parent_of(int(name)) == pid]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
