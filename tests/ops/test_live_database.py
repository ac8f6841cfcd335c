"""The platform against a real PostgreSQL that restarts under load, and with a real streaming replica.

gunicorn serves the platform in a subprocess against a cluster of the test's own (tests/ops/live.py); the
suite's database is not involved, so these run once, in the PostgreSQL half of `make test`.
"""

import logging
import threading
import time
import uuid

import httpx
import pytest
from django.db import connection

from scripts.pgcluster import Cluster
from tests.ops.live import Server, Worker, build_world, enqueue_overview, server_env

pytestmark = pytest.mark.usefixtures("on_postgres", "quiet_httpx")


@pytest.fixture(scope="module")
def quiet_httpx():
    logging.getLogger("httpx").setLevel(logging.WARNING)


@pytest.fixture(scope="module")
def primary():
    # pytest sets this module-scoped fixture up before the function-scoped `on_postgres` that skips these tests
    # on SQLite: without its own check, the SQLite run started and migrated a cluster for nothing (a minute).
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL; `make test` runs the suite on PostgreSQL too")
    with Cluster(durable=True, prefix="sciencecity-live-") as cluster:
        cluster.initdb().start()
        url = cluster.createdb()
        world = build_world(server_env(url))
        yield cluster, url, world


def report(client: httpx.Client, world: dict, title: str) -> httpx.Response:
    return client.post(
        "/api/v1/problems/",
        json={
            "category": world["category"],
            "title": title,
            "description": "路面塌陷约两平方米",
            **place(world),
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )


def place(world: dict) -> dict:
    return {"latitude": world["latitude"], "longitude": world["longitude"]}


def titles(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["title"] for row in response.json()["results"]]


class Load:
    """Clients reading and writing through the API until stopped; every answer's status is kept."""

    def __init__(self, server: Server, world: dict, clients: int = 4):
        self.server, self.world = server, world
        self.statuses: list[tuple[float, int]] = []
        self.stopped = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(n,), daemon=True) for n in range(clients)]

    def run(self, number: int) -> None:
        headers = {"Authorization": f"Bearer {self.world['token']}"}
        with httpx.Client(base_url=self.server.url(""), headers=headers, timeout=30) as client:
            sequence = 0
            while not self.stopped.is_set():
                sequence += 1
                try:
                    if sequence % 3:
                        status = client.get("/api/v1/problems/").status_code
                    else:
                        status = report(client, self.world, f"负载{number}-{sequence}").status_code
                except httpx.TransportError:
                    status = 0  # no answer at all (never expected: gunicorn stays up)
                self.statuses.append((time.monotonic(), status))
                time.sleep(0.02)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        for thread in self.threads:
            thread.join(30)


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_a_database_restart_under_load_answers_503_then_recovers_by_itself(primary, mode, tmp_path):
    cluster, url, world = primary
    # The web workers and the task worker share a metrics directory: one scrape shows them all.
    env = server_env(url, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
    with Worker(env) as worker, Server(env) as server, Load(server, world) as load:
        time.sleep(1.5)
        cluster.stop(mode)
        down_since = time.monotonic()
        time.sleep(2)
        page = httpx.get(server.url("/"), timeout=10)
        api = httpx.get(
            server.url("/api/v1/problems/"), headers={"Authorization": f"Bearer {world['token']}"}
        )
        cluster.start()
        up_since = time.monotonic()
        recovered = None
        while time.monotonic() < up_since + 20:
            if httpx.get(server.url("/health/ready/"), timeout=10).status_code == 200:
                recovered = time.monotonic()
                break
            time.sleep(0.2)
        time.sleep(1.5)
        # The task worker waited the outage out: still running, it runs what is enqueued now.
        assert worker.process.poll() is None, worker.log.read_text()[-2000:]
        enqueue_overview(env)
        _wait_for(
            lambda: cluster.psql(DONE_OVERVIEWS) != "0", "the worker did not run the task after the restart"
        )
        # The worker counts the task just after marking it done: scrape until its count is there.
        deadline = time.monotonic() + 15
        while True:
            scraped_at = time.monotonic()
            metrics = httpx.get(server.url("/metrics"), timeout=10).text
            if "refresh_overview_task" in metrics or time.monotonic() > deadline:
                break
            time.sleep(0.3)

    # While it was down: the platform's page and a problem document, with Retry-After, never a traceback.
    assert page.status_code == 503
    assert "服务暂时不可用" in page.text and "Traceback" not in page.text
    assert page.headers["Retry-After"] == "30"
    assert api.status_code == 503
    assert api.headers["Content-Type"] == "application/problem+json"
    # Every answer under load was a success or a 503; answers after the restart succeeded again.
    seen = {status for _, status in load.statuses}
    assert seen <= {200, 201, 503}, seen
    assert any(status == 503 for moment, status in load.statuses if down_since <= moment < up_since)
    assert recovered is not None, "not ready again within 20 s of the database's restart"
    after = [status for moment, status in load.statuses if moment > recovered + 0.5]
    assert after and set(after) <= {200, 201}, after
    # Metrics added up over both web workers and the task worker (PROMETHEUS_MULTIPROC_DIR).
    lists = sum(1 for moment, status in load.statuses if status == 200 and moment < scraped_at)
    counted = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("django_http_responses_total_by_status_view_method_total{")
        and 'view="api:problem-list"' in line
        and 'status="200"' in line
    )
    assert counted >= lists > 0, (counted, lists)
    assert any(
        line.startswith("sciencecity_tasks_finished_total{")
        and 'task="sciencecity.approvals.overview_tasks.refresh_overview_task"' in line
        and 'status="SUCCESSFUL"' in line
        for line in metrics.splitlines()
    ), metrics


def test_reads_go_to_the_replica_and_a_users_own_write_is_read_back(primary):
    cluster, url, world = primary
    with cluster.replica() as replica:
        replica_url = replica.url()
        env = server_env(url, DATABASE_REPLICA_URLS=replica_url)
        headers = {"Authorization": f"Bearer {world['token']}"}
        with (
            Server(env) as server,
            httpx.Client(base_url=server.url(""), headers=headers) as writer,
            httpx.Client(base_url=server.url(""), headers=headers) as other,
        ):
            report(writer, world, "复制前的问题")
            _wait_until_replayed(cluster, replica)
            assert "复制前的问题" in titles(other.get("/api/v1/problems/"))

            # The replica stops replaying: what is written now exists only on the primary.
            replica.psql("SELECT pg_wal_replay_pause()")
            created = report(writer, world, "刚刚上报的问题")
            assert created.status_code == 201
            assert writer.cookies.get("sc_primary_lsn")

            # The writer reads its own write back (the replica is behind its write: the primary answers) …
            assert "刚刚上报的问题" in titles(writer.get("/api/v1/problems/"))
            # … a client without that write behind it reads the list from the replica, which has not got it …
            assert "刚刚上报的问题" not in titles(other.get("/api/v1/problems/"))
            # … but a detail page reads the primary, as does everything inside a write.
            assert other.get(f"/api/v1/problems/{created.json()['id']}/").status_code == 200
            # The health page reports the replica, reachable.
            assert "ReplicaLag" in server_health(server)

            replica.psql("SELECT pg_wal_replay_resume()")
            _wait_until_replayed(cluster, replica)
            assert "刚刚上报的问题" in titles(other.get("/api/v1/problems/"))

            # A replica that goes away: reads fall back to the primary, nothing fails.
            replica.stop("immediate")
            assert "刚刚上报的问题" in titles(other.get("/api/v1/problems/"))
            report(writer, world, "副本停机后的问题")
            assert "副本停机后的问题" in titles(other.get("/api/v1/problems/"))


def test_a_page_read_after_the_users_own_write_is_fresh(primary):
    cluster, url, world = primary
    with cluster.replica() as replica:
        env = server_env(url, DATABASE_REPLICA_URLS=replica.url())
        with Server(env) as server, httpx.Client(base_url=server.url("")) as browser:
            _wait_until_replayed(cluster, replica)
            browser.get("/login/")
            login = browser.post(
                "/login/",
                data={
                    "username": world["username"],
                    "password": "correct horse battery staple",
                    "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                },
                headers={"Referer": server.url("/login/")},
            )
            assert login.status_code == 302, login.text[:500]
            replica.psql("SELECT pg_wal_replay_pause()")
            created = browser.post(
                "/api/v1/problems/",
                json={
                    "category": world["category"],
                    "title": "页面上报的问题",
                    "description": "井盖缺失",
                    **place(world),
                },
                headers={"X-CSRFToken": browser.cookies["csrftoken"], "Referer": server.url("/problems/")},
            )
            assert created.status_code == 201, created.text
            page = browser.get("/problems/")
            assert page.status_code == 200
            assert "页面上报的问题" in page.text
            replica.psql("SELECT pg_wal_replay_resume()")


DONE_OVERVIEWS = (
    "SELECT count(*) FROM django_tasks_database_dbtaskresult "
    "WHERE task_path LIKE '%refresh_overview%' AND status = 'SUCCESSFUL' AND enqueued_at > now() - interval '1 minute'"
)


def _wait_for(condition, message: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.2)


def server_health(server: Server) -> str:
    return httpx.get(server.url("/health/"), headers={"Accept": "application/json"}, timeout=10).text


def _wait_until_replayed(primary: Cluster, replica: Cluster, timeout: float = 20) -> None:
    target = primary.psql("SELECT pg_current_wal_lsn()")
    _wait_for(
        lambda: replica.psql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") == "t",
        "the replica did not catch up",
        timeout,
    )
