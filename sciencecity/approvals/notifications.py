"""What bundled approval tells the notifications app (registered in `ApprovalsConfig.ready`): the names of its
kinds, and for its two subjects, applications and review tasks, where each reader opens them and the API
fields derived from them.

An approvals notification is about the task when there is one (a task released, decided, overdue), else about
the application. Whatever the subject, its reader is led to the application's page of their role, and the API
answers the application (and the task) as it did when notifications had foreign keys to both.
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers

from sciencecity.accounts.scoping import sees_everything
from sciencecity.api.filters import IdFilter
from sciencecity.notifications import api as notifications_api
from sciencecity.notifications import kinds, subjects
from sciencecity.notifications.subjects import Link

from .models import Application, NotificationKind, ReviewTask

# --- links: the page of the application that the reader's role opens ----------------------------------------


def application_links(user, applications) -> dict[int, Link]:
    return _links(user, [(application, None) for application in applications])


def task_links(user, tasks) -> dict[int, Link]:
    return _links(user, [(task.application, task) for task in tasks])


def _links(user, pairs: list) -> dict[int, Link]:
    """{subject pk: link} for (application, task or None) pairs: the applicant's portal page for their
    enterprise's applications; the intake page for the window; the task page for a department's reviewers and
    heads (the subject task when it is their department's, else their department's first task in the
    application); the leaders' page for leaders and supervisors. At most one query, whatever the number."""
    own_tasks = {}  # application → the first task of the user's department in it
    if pairs and user.department_id and user.has_perm("approvals.review_task"):
        for task_pk, application_pk in (
            ReviewTask.objects.for_user(user)
            .filter(
                department_id=user.department_id,
                application_id__in={application.pk for application, _task in pairs},
            )
            .order_by("-pk")
            .values_list("pk", "application_id")
        ):
            own_tasks[application_pk] = task_pk  # ordered downwards: the lowest is written last
    links = {}
    for application, task in pairs:
        url = _page_of(user, application, task, own_tasks)
        if url:
            subject = task if task is not None else application
            links[subject.pk] = Link(url, _("查看办件 %(number)s") % {"number": application.number})
    return links


def _page_of(user, application, task, own_tasks) -> str:
    if (
        user.enterprise_id
        and application.enterprise_id == user.enterprise_id
        and user.has_perm("approvals.submit_application")
    ):
        return reverse("approvals:portal_application", args=[application.pk])
    if user.has_perm("approvals.intake_application"):
        return reverse("approvals:window_intake", args=[application.pk])
    if application.pk in own_tasks:
        task_pk = own_tasks[application.pk]
        if task is not None and task.department_id == user.department_id:
            task_pk = task.pk
        return reverse("approvals:department_task", args=[task_pk])
    if user.has_perm("approvals.view_application") and sees_everything(user):
        return reverse("approvals:leaders_application", args=[application.pk])
    return ""


# --- the API's `application` and `task` of a notification -----------------------------------------------------


class NumberedApplicationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()


def _api_fields() -> dict:
    return {
        "application": NumberedApplicationSerializer(
            source=notifications_api.subject_source("application"), read_only=True, allow_null=True
        ),
        "task": serializers.IntegerField(
            source=notifications_api.subject_source("task"), read_only=True, allow_null=True
        ),
    }


def _api_values(subject) -> dict:
    if isinstance(subject, ReviewTask):
        return {"application": subject.application, "task": subject.pk}
    if isinstance(subject, Application):
        return {"application": subject, "task": None}
    return {"application": None, "task": None}


def _about_application(queryset, name, value):
    """Notifications about the application or about any of its tasks."""
    if value is None:
        return queryset
    return queryset.about_any(Application, [value]) | queryset.about_any(
        ReviewTask, ReviewTask.objects.filter(application_id=value).values("pk")
    )


def _api_filters() -> dict:
    return {
        # Notifications about the application or about any of its tasks, as when each had the application.
        "application": IdFilter(method=_about_application, help_text="Application id")
    }


def register() -> None:
    kinds.register(NotificationKind)
    subjects.register(Application, links=application_links)
    # A task's link and API fields read its application: fetched with it, one query for the whole batch.
    subjects.register(
        ReviewTask,
        links=task_links,
        queryset=ReviewTask.objects.select_related("application").only(
            "pk", "department", "application__id", "application__number", "application__enterprise"
        ),
    )
    notifications_api.register_subject_fields(
        notifications_api.SubjectFields(fields=_api_fields, values=_api_values, filters=_api_filters)
    )
