"""Metrics for Prometheus at `/metrics`.

Requests, responses, latencies and exceptions by view come from django-prometheus's middleware; background
tasks add `sciencecity_tasks_finished_total{task,status}` and `sciencecity_task_duration_seconds{task}` from
the worker, and every scrape reads the queue itself (tasks due, running, how long the oldest due one waited) —
so a stalled worker shows even when no worker process is left to report. With several gunicorn workers and a
task worker, set `PROMETHEUS_MULTIPROC_DIR` (the same empty directory for all of them, see the README).

Scraping is allowed from this machine, or from anywhere with `Authorization: Bearer $METRICS_TOKEN`.
"""

import os
import secrets

import prometheus_client
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpResponse
from django.utils import timezone
from django_tasks.signals import task_finished
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily

TASKS_FINISHED = prometheus_client.Counter(
    "sciencecity_tasks_finished", "Background tasks finished, by task and final status", ["task", "status"]
)
TASK_DURATION = prometheus_client.Histogram(
    "sciencecity_task_duration_seconds",
    "Time a background task ran, from its start to its end",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
LOOPBACK = frozenset({"127.0.0.1", "::1"})


@receiver(task_finished)
def _count_task(sender, task_result, **kwargs):
    task = task_result.task.module_path if task_result.task else "unknown"
    TASKS_FINISHED.labels(task=task, status=str(task_result.status)).inc()
    if task_result.started_at and task_result.finished_at:
        TASK_DURATION.labels(task=task).observe(
            (task_result.finished_at - task_result.started_at).total_seconds()
        )


class QueueCollector:
    """The queue as the database holds it, read at each scrape."""

    def collect(self):
        from django_tasks_db.models import DBTaskResult

        ready = DBTaskResult.objects.ready()
        oldest = ready.order_by("run_after").values_list("enqueued_at", flat=True).first()
        running = DBTaskResult.objects.filter(status="RUNNING").count()
        yield GaugeMetricFamily(
            "sciencecity_tasks_due", "Background tasks due and waiting for a worker", ready.count()
        )
        yield GaugeMetricFamily("sciencecity_tasks_running", "Background tasks a worker has started", running)
        yield GaugeMetricFamily(
            "sciencecity_tasks_oldest_due_seconds",
            "How long the oldest due task has waited since it was enqueued",
            (timezone.now() - oldest).total_seconds() if oldest else 0,
        )


def allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return secrets.compare_digest(given.encode(), token.encode())
    return request.META.get("REMOTE_ADDR") in LOOPBACK


def metrics(request):
    if not allowed(request):
        return HttpResponse(
            "metrics: not allowed from this address (set METRICS_TOKEN)\n",
            status=403,
            content_type="text/plain",
        )
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = prometheus_client.REGISTRY
    queue = prometheus_client.CollectorRegistry()
    queue.register(QueueCollector())
    body = prometheus_client.generate_latest(registry) + prometheus_client.generate_latest(queue)
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
