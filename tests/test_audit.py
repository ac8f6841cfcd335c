import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction

from sciencecity.audit import record
from sciencecity.audit.context import RequestContext, current_request
from sciencecity.audit.models import AuditEvent, AuditImmutableError
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_record_keeps_actor_target_data_and_request_context():
    actor, project = UserFactory(), ProjectFactory()
    token = current_request.set(RequestContext("req-123", "10.1.2.3"))
    try:
        event = record(actor, "project.update", project, before={"name": "旧"}, after={"name": "新"})
    finally:
        current_request.reset(token)
    event.refresh_from_db()
    assert event.actor == actor
    assert event.target_type.model == "project" and event.target_id == str(project.pk)
    assert event.before == {"name": "旧"} and event.after == {"name": "新"}
    assert (event.request_id, event.ip_address) == ("req-123", "10.1.2.3")


def test_system_actions_have_no_actor():
    assert record(None, "system.tick").actor is None


def test_requests_get_an_id_header_kept_from_the_proxy_or_made_up(client):
    response = client.get("/login/", headers={"x-request-id": "abc-42"})
    assert response["X-Request-ID"] == "abc-42"
    assert client.get("/login/")["X-Request-ID"]


def test_model_refuses_update_and_delete():
    event = record(None, "x")
    event.action = "rewritten"
    with pytest.raises(AuditImmutableError):
        event.save()
    with pytest.raises(AuditImmutableError):
        event.delete()
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.filter(pk=event.pk).update(action="rewritten")
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.all().delete()


def test_postgres_trigger_refuses_raw_update_and_delete(on_postgres):
    event = record(None, "x")
    for sql in (
        "UPDATE audit_auditevent SET action = 'rewritten' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises((InternalError, ProgrammingError, IntegrityError), match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    event.refresh_from_db()
    assert event.action == "x"


def test_scope_supervisor_sees_all_others_only_their_own():
    from tests.factories import staff

    alice, bob = UserFactory(), UserFactory()
    mine, theirs = record(alice, "a"), record(bob, "b")
    assert list(AuditEvent.objects.for_user(alice)) == [mine]
    assert set(AuditEvent.objects.for_user(staff("supervisor"))) >= {mine, theirs}
