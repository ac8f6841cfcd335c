"""Help-and-do (帮办代办): with the enterprise's consent, an escort specialist prepares an application; the
enterprise reviews and submits it itself; the audit trail shows who prepared what; without consent, or off the
team, nothing is prepared."""

import pytest
from django.core.exceptions import PermissionDenied

from sciencecity.approvals.models import Application
from sciencecity.approvals.services import applications, help
from sciencecity.audit.models import AuditEvent
from sciencecity.notifications.models import Notification
from sciencecity.projects.models import ServiceLog
from sciencecity.projects.services import escort
from tests.approvals.conftest import START_MINIMAL, fill_form, upload_needed
from tests.factories import UserFactory, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def helped(world):
    specialist = staff("project_specialist", world.departments["development"], username="specialist")
    admin = UserFactory(username="escort-admin", roles=["administrator"])
    escort.set_member(admin, world.project, specialist, "specialist", "代办开工一件事")
    world.specialist = specialist
    return world


def test_prepared_by_the_specialist_submitted_by_the_enterprise(helped):
    world = helped
    escort.grant_consent(world.applicant, world.project, "开工一件事")
    bundle = world.bundle("start-construction")
    application = help.prepare_application(world.specialist, world.project, bundle, idempotency_key="h1")
    assert (
        help.prepare_application(world.specialist, world.project, bundle, idempotency_key="h1") == application
    )
    assert application.applicant == world.applicant and application.prepared_by == world.specialist
    assert application.status == Application.Status.DRAFT

    application = applications.save_answers(world.specialist, application, START_MINIMAL)
    application = fill_form(world.specialist, application)
    upload_needed(world.specialist, application)
    # The specialist may prepare, never submit.
    with pytest.raises(PermissionDenied):
        applications.submit_application(world.specialist, application, idempotency_key="s1")
    submitted = applications.submit_application(world.applicant, application, idempotency_key="s1")
    assert submitted.status == Application.Status.SUBMITTED
    # Once submitted, the draft is no longer the specialist's to change.
    with pytest.raises(PermissionDenied):
        applications.save_answers(world.specialist, submitted, START_MINIMAL)

    trail = list(
        AuditEvent.objects.filter(target_id=str(application.pk), target_type__model="application")
        .order_by("id")
        .values_list("action", "actor__username")
    )
    assert trail[0] == ("approvals.prepare_application", "specialist")
    assert ("approvals.save_answers", "specialist") in trail and (
        "approvals.save_form",
        "specialist",
    ) in trail
    assert AuditEvent.objects.filter(action="approvals.upload_material", actor=world.specialist).exists()
    assert trail[-1] == ("approvals.submit_application", "applicant")
    log = ServiceLog.objects.get(project=world.project, kind="help")
    assert log.application_id == application.pk and log.actor == world.specialist
    notice = Notification.objects.get(kind="application_prepared")
    assert notice.recipient == world.applicant and notice.about == application
    # The specialist sees what they prepared (and only that) among the applications.
    assert list(Application.objects.for_user(world.specialist)) == [application]


def test_no_consent_no_help_and_a_revoked_consent_stops_the_editing(helped):
    world = helped
    bundle = world.bundle("start-construction")
    with pytest.raises(PermissionDenied) as error:
        help.prepare_application(world.specialist, world.project, bundle)
    assert "尚未授权" in str(error.value)
    outsider = staff("project_specialist", world.departments["development"], username="outsider")
    escort.grant_consent(world.applicant, world.project, "开工一件事")
    with pytest.raises(PermissionDenied):
        help.prepare_application(outsider, world.project, bundle)
    application = help.prepare_application(world.specialist, world.project, bundle)
    escort.revoke_consent(world.applicant, world.project)
    with pytest.raises(PermissionDenied):
        applications.save_answers(world.specialist, application, START_MINIMAL)
    # The enterprise keeps its draft and may go on with it.
    applications.save_answers(world.applicant, application, START_MINIMAL)
    assert Application.objects.filter(prepared_by=world.specialist).count() == 1
