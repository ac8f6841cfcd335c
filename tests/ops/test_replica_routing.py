"""Which reads the router sends to a replica (the real replica is in test_live_database.py)."""

import pytest
from django.db import connections, transaction

from sciencecity.ops import replicas
from sciencecity.problems.models import Problem


@pytest.mark.parametrize(
    ("view", "replica"),
    [
        ("cockpit:board", True),
        ("api:problem-list", True),
        ("api:problem-detail", False),
        ("api:problem-accept", False),
        ("open311:requests", True),
        ("problems:list", True),
        ("problems:detail", False),
        ("approvals:portal_submit", False),
        ("approvals:verify", True),
        ("login", False),
    ],
)
def test_read_only_views_are_named(view, replica):
    assert replicas.reads_replica_view(view) is replica


@pytest.fixture
def chosen(monkeypatch):
    token = replicas._read_alias.set("replica_1")
    yield replicas.ReplicaRouter()
    replicas._read_alias.reset(token)


def test_reads_follow_the_choice_except_authentication_and_the_queue(chosen):
    from django.contrib.sessions.models import Session
    from django_tasks_db.models import DBTaskResult

    from sciencecity.accounts.models import User

    assert chosen.db_for_read(Problem) == "replica_1"
    assert chosen.db_for_read(Session) == "default"
    assert chosen.db_for_read(User) == "default"
    assert chosen.db_for_read(DBTaskResult) == "default"
    assert chosen.db_for_write(Problem) == "default"


@pytest.mark.django_db
def test_a_read_inside_a_write_reads_the_primary(chosen):
    with transaction.atomic():
        assert connections["default"].in_atomic_block
        assert chosen.db_for_read(Problem) == "default"


def test_without_a_choice_everything_is_the_primary():
    router = replicas.ReplicaRouter()
    assert router.db_for_read(Problem) == "default"
    assert router.allow_migrate("replica_1", "problems") is False
    assert router.allow_migrate("default", "problems") is True


@pytest.mark.parametrize("value", ["0/16B3748", "A1/FF000028"])
def test_lsn_cookies_of_ours_are_recognised(value):
    assert replicas.LSN.fullmatch(value)


@pytest.mark.parametrize("value", ["", "x", "0/16B3748'; DROP", "1/2/3"])
def test_other_cookie_values_are_not(value):
    assert not replicas.LSN.fullmatch(value)
