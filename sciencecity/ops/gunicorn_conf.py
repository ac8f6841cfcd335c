"""gunicorn's settings for the platform: `gunicorn -c python:sciencecity.ops.gunicorn_conf sciencecity.wsgi`.

Environment: `GUNICORN_BIND` (127.0.0.1:8000), `GUNICORN_WORKERS` (2 × cores + 1), `GUNICORN_TIMEOUT` (60 s),
and `PROMETHEUS_MULTIPROC_DIR`: with several workers each process writes its metrics there and `/metrics` adds
them up; the directory is emptied when gunicorn starts and a dead worker's live gauges are dropped. Give the
task worker (`manage.py worker`) the same directory so that its task metrics are scraped with the web's.

Garbage collection: a worker holds about 250,000 objects that live as long as it does (the modules, the URL
patterns, the compiled templates and catalog), and Python's full collection walks all of them, about every
seventy requests: a pause of 100–250 ms in the middle of a request, which the load test (`bench/load.py`) saw
as the slowest twentieth of every page. So each worker freezes what it holds (`gc.freeze()`: the collector
leaves those objects alone) once it has loaded the application, and again after its first requests have
filled the lazily built caches; what a request allocates is still collected as before.
"""

import gc
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


# The request after which a worker freezes again what its first requests cached (templates, translations).
FREEZE_AFTER_REQUESTS = 50


def post_worker_init(worker):
    """The application is loaded: build the URL patterns now (they are built at the first request otherwise)
    and take everything out of the collector's full passes."""
    from django.urls import get_resolver

    get_resolver().reverse_dict  # noqa: B018 - builds the patterns, as the first `reverse()` would
    gc.collect()
    gc.freeze()


def post_request(worker, req, environ, resp):
    if getattr(worker, "nr", 0) == FREEZE_AFTER_REQUESTS:
        gc.collect()  # the garbage first: a frozen object is never collected
        gc.freeze()


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
