"""gunicorn's settings for the platform: `gunicorn -c python:sciencecity.ops.gunicorn_conf sciencecity.wsgi`.

Environment: `GUNICORN_BIND` (127.0.0.1:8000), `GUNICORN_WORKERS` (2 × cores + 1), `GUNICORN_TIMEOUT` (60 s),
and `PROMETHEUS_MULTIPROC_DIR`: with several workers each process writes its metrics there and `/metrics` adds
them up; the directory is emptied when gunicorn starts and a dead worker's live gauges are dropped. Give the
task worker (`manage.py worker`) the same directory so that its task metrics are scraped with the web's.
"""

import multiprocessing
import os
import shutil
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * multiprocessing.cpu_count() + 1)))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# The platform logs each request itself, with its id (sciencecity.ops.logs); gunicorn's errors go to stderr.
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def _metrics_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


def on_starting(server):
    directory = _metrics_dir()
    if directory is not None:
        # Files of a previous run would add old counts to the new ones.
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    if _metrics_dir() is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
