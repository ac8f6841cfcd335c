"""The peer: the same process shape run by SpiffWorkflow, the Python BPMN engine, persisted in PostgreSQL.

`start_construction.bpmn`: start, a parallel split into one user task per review task of a 开工一件事 (14),
the join, and the issue of the results. Each step is what a Spiff-backed application does per request: in
one transaction, read the workflow's state row under a row lock (`SELECT … FOR UPDATE`), deserialize it,
complete one ready user task, run the engine steps, serialize the state and write it back. The state is
kept as JSON text in a `json` column (not `jsonb`: jsonb reorders keys, which breaks Spiff's restore).

Steps per application: create (start, split) + 14 review tasks + issue = 16 transactions, against our
engine's submit, verdicts, accept, 14 claims, 14 decisions and delivery, each with its audit and
notifications. Spiff has no audit trail, notifications, deadlines, certificates or permission checks.
"""

import logging
import multiprocessing
import time
from pathlib import Path

from django.db import connection, connections, transaction
from django.test import override_settings

BPMN = Path(__file__).resolve().parent / "start_construction.bpmn"
PROCESS = "start_construction"
TABLE = "bench_spiff_workflow"
# Spiff logs every task state change at INFO; the console log would measure the terminal.
logging.getLogger("spiff").setLevel(logging.WARNING)


def _spec():
    from SpiffWorkflow.bpmn.parser import BpmnParser

    parser = BpmnParser()
    parser.add_bpmn_file(str(BPMN))
    return parser.get_spec(PROCESS)


def review_tasks_in_model() -> int:
    return sum(1 for name in _spec().task_specs if name.startswith("review_"))


def create_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, state json NOT NULL, "
            "updated_at timestamptz NOT NULL DEFAULT now())"
        )


def _ready_user_tasks(workflow):
    from SpiffWorkflow.util.task import TaskState

    return workflow.get_tasks(state=TaskState.READY, manual=True)


def run_one(spec, serializer) -> int:
    """One application's whole life through Spiff, each step its own transaction; returns the steps."""
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

    with transaction.atomic(), connection.cursor() as cursor:
        workflow = BpmnWorkflow(spec)
        workflow.do_engine_steps()
        cursor.execute(
            f"INSERT INTO {TABLE} (state) VALUES (%s) RETURNING id", [serializer.serialize_json(workflow)]
        )
        row_id = cursor.fetchone()[0]
    steps = 1
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT state::text FROM {TABLE} WHERE id = %s FOR UPDATE", [row_id])
            workflow = serializer.deserialize_json(cursor.fetchone()[0])
            ready = _ready_user_tasks(workflow)
            if not ready:
                break
            ready[0].run()
            workflow.do_engine_steps()
            cursor.execute(
                f"UPDATE {TABLE} SET state = %s, updated_at = now() WHERE id = %s",
                [serializer.serialize_json(workflow), row_id],
            )
            steps += 1
    if not workflow.is_completed():
        raise RuntimeError("the Spiff workflow did not complete")
    return steps


def _worker(count, start_event, done_queue):
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

    connections.close_all()
    spec, serializer = _spec(), BpmnWorkflowSerializer()
    run_one(spec, serializer)  # warm up: imports, the connection, the first plan
    start_event.wait()
    started = time.perf_counter()
    with override_settings(DEBUG=False):  # as in production, and as the lifecycle runs: no query log
        steps = sum(run_one(spec, serializer) for _ in range(count))
    done_queue.put((time.perf_counter() - started, steps))
    connections.close_all()


def run_spiff(applications: int, workers: int) -> dict:
    create_table()
    context = multiprocessing.get_context("fork")
    start_event, done_queue = context.Event(), context.Queue()
    shares = [applications // workers + (1 if i < applications % workers else 0) for i in range(workers)]
    connections.close_all()
    processes = [context.Process(target=_worker, args=(n, start_event, done_queue)) for n in shares]
    for process in processes:
        process.start()
    time.sleep(1.0)
    started = time.perf_counter()
    start_event.set()
    steps = sum(done_queue.get()[1] for _ in processes)
    wall = time.perf_counter() - started
    for process in processes:
        process.join()
        if process.exitcode:
            raise RuntimeError(f"a Spiff worker failed (exit {process.exitcode})")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT avg(octet_length(state::text)) FROM {TABLE}")
        state_bytes = cursor.fetchone()[0]
    return {
        "workers": workers,
        "applications": applications,
        "seconds": wall,
        "apps_per_s": applications / wall,
        "steps": steps,
        "steps_per_s": steps / wall,
        "state_bytes": float(state_bytes or 0),
    }
