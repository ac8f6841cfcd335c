"""A platform served by gunicorn in a subprocess against a PostgreSQL cluster of its own (scripts/pgcluster.py):
what the tests of database restarts and read replicas stop, pause and read from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from scripts.pgcluster import free_port

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

WORLD = """
import json, django
django.setup()
from sciencecity.api.services import create_token
from sciencecity.problems.models import ProblemCategory
from tests.factories import staff
from tests.problems.conftest import area_points
latitude, longitude = next(iter(area_points().values()))
category = ProblemCategory.objects.create(code="road", name="道路破损")
dispatcher = staff("dispatcher", username="dispatcher", password="correct horse battery staple")
token = create_token(dispatcher, "测试")[1]
print(json.dumps({"token": token, "category": category.code, "username": "dispatcher",
                  "latitude": latitude, "longitude": longitude}))
"""


def server_env(database_url: str, **extra: str) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "PYTEST", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tests.ops.server_settings",
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY="live-server-test-key-not-secret",
        SECURE_COOKIES="0",
        ALLOWED_HOSTS="127.0.0.1",
        AXES_ENABLED="0",
        API_THROTTLE_USER="100000/minute",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def manage(env: dict, *args: str) -> str:
    return subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def enqueue_overview(env: dict) -> None:
    """Put one count of the overview in the task queue, due now."""
    code = (
        "import django; django.setup(); from sciencecity.approvals.overview_tasks import refresh_overview_task; "
        "refresh_overview_task.enqueue(reschedule=False)"
    )
    subprocess.run([PYTHON, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True)


def build_world(env: dict) -> dict:
    """Migrate the cluster's database and add a dispatcher with an API token and a problem category."""
    manage(env, "migrate", "--no-input", "-v0")
    out = subprocess.run([PYTHON, "-c", WORLD], env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


class Worker:
    """`manage.py worker` in a subprocess."""

    def __init__(self, env: dict):
        self.env = env
        self.log = ROOT / "test-artifacts" / f"worker-{free_port()}.log"

    def __enter__(self) -> Worker:
        self.log.parent.mkdir(exist_ok=True)
        self.process = subprocess.Popen(
            [PYTHON, str(ROOT / "manage.py"), "worker", "--interval", "0.2", "--no-startup-delay"],
            env=self.env,
            cwd=ROOT,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        return self

    def __exit__(self, *exc) -> None:
        stop(self.process)


class Server:
    """gunicorn with two workers on a free port; `url(path)`; stopped with SIGTERM."""

    def __init__(self, env: dict, workers: int = 2):
        self.env = env
        self.port = free_port()
        self.workers = workers
        self.process: subprocess.Popen | None = None
        self.log = ROOT / "test-artifacts" / f"gunicorn-{self.port}.log"

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Server:
        self.log.parent.mkdir(exist_ok=True)
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                *("-c", "python:sciencecity.ops.gunicorn_conf", "sciencecity.wsgi"),
                *("--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers), "--timeout", "30"),
            ],
            env=self.env,
            cwd=ROOT,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url("/health/live/"), timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer within a minute")

    def __exit__(self, *exc) -> None:
        stop(self.process)
