"""Health endpoints, metrics, request ids in logs and tasks, and the answers while the database is down."""

import asyncio
import json
import logging

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from sciencecity.audit.context import RequestContext, current_request
from sciencecity.ops.logs import JsonLineFormatter, RequestIdFilter
from tests.factories import staff

pytestmark = pytest.mark.django_db

task_logger = logging.getLogger("tests.ops.task")


@task()
def remember_request() -> str:
    """A task that says which request it runs for, in its return value and in a log line."""
    task_logger.warning("running for the request")
    return current_request.get().request_id


# Health


def test_liveness_needs_nothing(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/live/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


# The checks run in the view's own threads, with connections of their own: they see committed rows only.
@pytest.mark.django_db(transaction=True)
def test_readiness_checks_the_database_and_the_queue(client):
    response = client.get("/health/ready/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    checks = response.json()
    assert set(checks.values()) == {"OK"}
    assert any("Database" in name for name in checks)
    assert any("TaskQueue" in name for name in checks)


def test_readiness_fails_with_503_when_the_database_does_not_answer(client, monkeypatch):
    monkeypatch.setattr(CursorWrapper, "execute", _refuse)
    response = client.get("/health/ready/", HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    assert any(value.startswith("Unavailable") for value in response.json().values())


@pytest.mark.django_db(transaction=True)
def test_the_status_page_warns_of_a_task_nobody_runs(client, settings):
    settings.HEALTH_TASK_DELAY_MINUTES = 10
    assert client.get("/health/", HTTP_ACCEPT="application/json").status_code == 200
    result = remember_request.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(
        enqueued_at=timezone.now() - timezone.timedelta(minutes=11),
        run_after=timezone.now() - timezone.timedelta(minutes=11),
    )
    response = client.get("/health/", HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    assert "db_worker" in json.dumps(response.json())
    # …which is for alerts: the load balancer's readiness stays up.
    assert client.get("/health/ready/", HTTP_ACCEPT="application/json").status_code == 200


# Metrics


def test_metrics_count_requests_and_read_the_queue(client):
    client.get("/health/live/")
    remember_request.enqueue()
    response = client.get("/metrics")
    assert response.status_code == 200
    body = response.content.decode()
    assert "django_http_requests_total_by_view_transport_method_total" in body
    assert 'view="health_live"' in body
    assert "sciencecity_tasks_due 1.0" in body
    assert "sciencecity_tasks_oldest_due_seconds" in body


def test_metrics_are_refused_from_elsewhere_without_the_token(client, settings):
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    assert (
        client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", REMOTE_ADDR="127.0.0.1").status_code == 403
    )
    granted = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token", REMOTE_ADDR="203.0.113.9")
    assert granted.status_code == 200


# Request ids


def test_every_response_has_a_request_id_and_keeps_the_proxys(client):
    assert len(client.get("/health/live/")["X-Request-ID"]) == 32
    assert client.get("/health/live/", HTTP_X_REQUEST_ID="proxy-id-1")["X-Request-ID"] == "proxy-id-1"


def test_json_log_lines_carry_the_request_id():
    record = logging.LogRecord("sciencecity.x", logging.WARNING, __file__, 1, "审批 %s", ("完成",), None)
    token = current_request.set(RequestContext("req-42", None))
    try:
        RequestIdFilter().filter(record)
    finally:
        current_request.reset(token)
    line = json.loads(JsonLineFormatter().format(record))
    assert line["request_id"] == "req-42"
    assert line["message"] == "审批 完成"
    assert line["level"] == "WARNING"
    assert line["logger"] == "sciencecity.x"


def test_the_request_line_is_logged_with_its_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="sciencecity.requests"):
        response = client.get("/health/live/", HTTP_X_REQUEST_ID="line-7")
    (record,) = [r for r in caplog.records if r.name == "sciencecity.requests"]
    assert record.status == 200
    assert record.path == "/health/live/"
    assert record.duration_ms >= 0
    assert response["X-Request-ID"] == "line-7"


@pytest.mark.django_db(transaction=True)
def test_a_background_task_runs_under_the_id_of_the_request_that_enqueued_it(caplog):
    token = current_request.set(RequestContext("req-from-page", None))
    try:
        result = remember_request.enqueue()
    finally:
        current_request.reset(token)
    assert DBTaskResult.objects.get(pk=result.id).args_kwargs["request_id"] == "req-from-page"

    handler_filter = RequestIdFilter()
    caplog.handler.addFilter(handler_filter)
    try:
        call_command("db_worker", batch=True, startup_delay=False, interval=0, verbosity=0)
    finally:
        caplog.handler.removeFilter(handler_filter)
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == "SUCCESSFUL"
    assert row.return_value == "req-from-page"
    (line,) = [r for r in caplog.records if r.name == "tests.ops.task"]
    assert line.request_id == "req-from-page"
    assert current_request.get().request_id == ""  # the worker left the task's id behind


# The database down


def _refuse(self, sql, params=None):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


@pytest.fixture
def database_down(monkeypatch):
    def down():
        monkeypatch.setattr(CursorWrapper, "execute", _refuse)

    return down


def test_a_page_answers_the_platforms_503_page_while_the_database_is_down(database_down):
    browser = Client(raise_request_exception=False)
    browser.force_login(staff("window_clerk"))
    database_down()
    response = browser.get("/window/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "服务暂时不可用" in page
    assert "Traceback" not in page and "OperationalError" not in page and "5432" not in page


def test_the_page_speaks_english_when_asked(database_down):
    browser = Client(raise_request_exception=False)
    database_down()
    response = browser.get("/guide/kaigong/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert "Service temporarily unavailable" in response.content.decode()


def test_the_api_answers_a_problem_document(database_down):
    api = Client(raise_request_exception=False)
    api.force_login(staff("window_clerk"))
    database_down()
    response = api.get("/api/v1/applications/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "30"
    body = response.json()
    assert body["status"] == 503
    assert body["type"].endswith("service-unavailable")
    assert "5432" not in json.dumps(body)


def test_open311_answers_its_error_document(database_down):
    database_down()
    response = Client(raise_request_exception=False).get("/open311/v2/services.json")
    assert response.status_code == 503
    assert response.json()[0]["code"] == 503


def test_other_errors_stay_500(monkeypatch):
    def broken(self, sql, params=None):
        raise ValueError("a bug")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = Client(raise_request_exception=False).get("/guide/kaigong/")
    assert response.status_code == 500


@pytest.mark.django_db(transaction=True)
def test_the_health_views_answer_while_an_event_loop_runs_in_the_thread(client):
    """A synchronous view: an event loop already running in the request's thread (Playwright's, in the browser
    tests of the same session) does not stop the checks."""

    async def probe():
        return client.get("/health/ready/", HTTP_ACCEPT="application/json")

    try:
        asyncio.get_running_loop()
    except RuntimeError:  # run alone: start a loop in this thread as Playwright does
        loop = asyncio.new_event_loop()
        try:
            response = loop.run_until_complete(probe())
        finally:
            loop.close()
    else:  # after the browser tests, Playwright's loop is running here already
        response = client.get("/health/ready/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
