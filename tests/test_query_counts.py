"""The key pages and API lists send as many SQL statements for 3N rows as for N (issue 18): a page whose
statement count grows with the rows it shows has an N+1 (a foreign key read per row, a count per row), which
the load test (`bench/load.py`) would show as a page that slows down with the data.

Each page is read as the user of its role with N rows and again after 2N more rows of the same kind were
added; the statement counts must be equal and the page must really show more rows (so the test cannot pass
on an empty list). Not timed. The approval rows are made through the services once per state (submitted, in
review with a claimed and a pending task, concluded, delivered with its certificates), then copied row for
row with everything the pages read of them (items, tasks, materials, events, certificates, delivery), so a
copy renders exactly as its original; problems are reported through the services.
"""

import itertools
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sciencecity.approvals.models import (
    Application,
    Certificate,
    Delivery,
    ReviewTask,
    SubmittedMaterial,
    TaskEvent,
)
from sciencecity.approvals.services import delivery, review
from tests.approvals.conftest import (
    START_ALL,
    START_DAY,
    START_MINIMAL,
    accepted,
    approve_all,
    at,
    load_demo_world,
    submitted,
    task_of,
)
from tests.factories import staff
from tests.problems.conftest import report, zone  # noqa: F401 - `zone` is the problems' fixture

pytestmark = pytest.mark.django_db

N = 3
EPP = "engineering-planning-permit"  # the planning department's first task of 开工一件事 (START_MINIMAL)
SERIAL = itertools.count(1)


# --- rows ----------------------------------------------------------------------------------------------------


def _copy(instance, **changes):
    model = type(instance)
    fields = {
        f.attname: getattr(instance, f.attname) for f in model._meta.concrete_fields if not f.primary_key
    }
    return model(**(fields | changes))


def clone(application: Application, copies: int) -> None:
    """`copies` copies of `application` with its items, tasks, task events, materials, certificates and
    delivery, each copy with its own number (and its certificates theirs)."""
    items = list(application.items.all())
    tasks = list(application.tasks.all())
    events = list(TaskEvent.objects.filter(task__application=application))
    materials = list(SubmittedMaterial.objects.filter(application=application))
    certificates = list(Certificate.objects.filter(application=application))
    record = Delivery.objects.filter(application=application).first()
    new_code = Certificate._meta.get_field("verification_code").default
    for _ in range(copies):
        serial = next(SERIAL)
        twin = _copy(application, number=f"{application.number}C{serial:04d}", creation_key="")
        Application.objects.bulk_create([twin])
        item_of = {}
        for item in items:
            item_of[item.pk] = type(item).objects.bulk_create([_copy(item, application_id=twin.pk)])[0]
        task_of_ = {}
        for task in tasks:
            task_of_[task.pk] = ReviewTask.objects.bulk_create(
                [
                    _copy(
                        task, application_id=twin.pk, application_item_id=item_of[task.application_item_id].pk
                    )
                ]
            )[0]
        TaskEvent.objects.bulk_create([_copy(event, task_id=task_of_[event.task_id].pk) for event in events])
        SubmittedMaterial.objects.bulk_create([_copy(m, application_id=twin.pk) for m in materials])
        Certificate.objects.bulk_create(
            [
                _copy(
                    certificate,
                    application_id=twin.pk,
                    task_id=task_of_[certificate.task_id].pk,
                    number=f"{certificate.number}C{serial:04d}",
                    verification_code=new_code(),
                )
                for certificate in certificates
            ]
        )
        if record is not None:
            Delivery.objects.bulk_create([_copy(record, application_id=twin.pk)])


@pytest.fixture
def approvals(db, settings, tmp_path, time_machine):
    """The demo world of tests/approvals/conftest.py with one application in each state the key pages list,
    made through the services: submitted (the window's queue), in review with its planning task claimed
    and another one's pending (the worklist), concluded (the delivery queue), delivered (certificates)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    at(time_machine, START_DAY)
    world = load_demo_world()
    world.leader = staff("leader", username="leader")
    reviewer = world.reviewer("planning")
    originals = {"submitted": submitted(world, "start-construction", START_MINIMAL, key="submit-a")}
    claimed = accepted(world, "start-construction", START_MINIMAL, key="submit-b")
    review.claim_task(reviewer, task_of(claimed, EPP))
    originals["claimed"] = claimed
    originals["pending"] = accepted(world, "start-construction", START_MINIMAL, key="submit-c")
    concluded = accepted(world, "start-construction", START_MINIMAL, key="submit-d")
    approve_all(world, concluded)
    originals["concluded"] = concluded
    done = accepted(world, "start-construction", START_MINIMAL, key="submit-e")
    approve_all(world, done)
    delivery.deliver_application(world.clerk, Application.objects.get(pk=done.pk), method="electronic")
    originals["delivered"] = done
    world.originals = {name: Application.objects.get(pk=a.pk) for name, a in originals.items()}
    world.visitor = None
    world.certificate = Certificate.objects.filter(application=done).first().verification_code
    world.add = lambda copies: [clone(a, copies) for a in world.originals.values()]
    return world


@pytest.fixture
def problems(zone):  # noqa: F811 - the fixture imported above
    """The problems' zone of tests/problems/conftest.py, with `add(count)`: `count` problems routed to the
    environment bureau by their category's rule, and `count` waiting for the dispatch centre."""

    def add(count):
        for _ in range(count):
            report(zone)  # routed by the category's rule to the environment bureau
            report(zone, category=zone.unrouted)  # waits for the dispatch centre

    zone.add = add
    return zone


# --- measuring -----------------------------------------------------------------------------------------------


def measure(client, user, path, rows, **headers):
    """(statements, rows shown, their SQL) of one GET of `path` as `user` (None: anonymous), after a first
    GET that fills the caches a process keeps (the compiled catalog, the calendar)."""
    if user is None:
        client.logout()
    else:
        client.force_login(user)
    assert client.get(path, **headers).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **headers)
    assert response.status_code == 200
    return len(queries), rows(response), [query["sql"] for query in queries.captured_queries]


def context_rows(name):
    return lambda response: len(response.context[name])


def api_rows(response):
    return len(response.json()["results"])


def numbers_shown(response):
    """The application numbers on the page (each row shows its application's number)."""
    return len(set(re.findall(r"SQ\d{8,}(?:C\d{4})?", response.content.decode())))


def assert_flat(name, small, large):
    (few, shown_few, _sql_few), (many, shown_many, sql_many) = small, large
    assert shown_many > shown_few, f"{name}: the page shows {shown_few} rows, then {shown_many}: no more rows"
    assert many == few, (
        f"{name}: {few} statements for {shown_few} rows, {many} for {shown_many} rows (an N+1?):\n"
        + "\n".join(sql_many)
    )


# --- the pages -----------------------------------------------------------------------------------------------


APPROVAL_PAGES = {
    # name: (the user's role in the world, path, how to count the rows it shows)
    "department worklist": ("reviewer", "/department/", context_rows("tasks")),
    "department worklist, my tasks": ("reviewer", "/department/?who=mine", context_rows("tasks")),
    "department worklist, htmx rows": ("reviewer", "/department/?light=", context_rows("tasks"), True),
    "window intake queue": ("clerk", "/window/", context_rows("rows")),
    "window delivery queue": ("clerk", "/window/delivery/", context_rows("rows")),
    "applicant's applications (portal home)": ("applicant", "/portal/", context_rows("applications")),
    "applicant's certificates": ("applicant", "/portal/certificates/", context_rows("certificates")),
    "applicant's project": ("applicant", "/portal/projects/{project}/", numbers_shown),
    "leaders' overview": (
        "leader",
        "/leaders/",
        lambda response: sum(r["count"] for r in response.context["by_status"]),
    ),
    "leaders' list of applications": ("leader", "/leaders/applications/", context_rows("applications")),
    "leaders' search": ("leader", "/leaders/applications/?q=测试芯片", context_rows("applications")),
    "leaders' open tasks": ("leader", "/leaders/tasks/?state=open", context_rows("tasks")),
    "API: applications": ("applicant", "/api/v1/applications/", api_rows),
    "API: review tasks": ("reviewer", "/api/v1/tasks/", api_rows),
    "API: certificates": ("applicant", "/api/v1/certificates/", api_rows),
    # One certificate shown, out of more and more in the table: still one statement, whatever their number.
    "certificate verification": (
        "visitor",
        "/verify/{certificate}/",
        lambda response: Certificate.objects.count(),
    ),
}


def _user(world, role):
    return {
        "reviewer": world.reviewer("planning"),
        "clerk": world.clerk,
        "applicant": world.applicant,
        "leader": world.leader,
        "visitor": world.visitor,
    }[role]


def _measure_all(client, world, pages) -> dict:
    results = {}
    for name, (role, path, rows, *htmx) in pages.items():
        path = path.format(project=world.project.pk, certificate=world.certificate)
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        results[name] = measure(client, _user(world, role), path, rows, **headers)
    return results


def _failures(small: dict, large: dict) -> list[str]:
    failures = []
    for name in small:
        try:
            assert_flat(name, small[name], large[name])
        except AssertionError as error:
            failures.append(str(error))
    return failures


def test_approval_pages_send_as_many_statements_for_3n_rows_as_for_n(approvals, client):
    """Every page of the list at once (making the rows through the services is the slow part): the failures
    of all pages are reported together."""
    approvals.add(N - 1)
    small = _measure_all(client, approvals, APPROVAL_PAGES)
    approvals.add(2 * N)
    large = _measure_all(client, approvals, APPROVAL_PAGES)
    failures = _failures(small, large)
    assert not failures, "\n\n".join(failures)


def test_the_guide_sends_as_many_statements_for_every_item_as_for_the_mandatory_ones(db, client):
    load_demo_world()

    def guide(answers):
        return "/guide/start-construction/?" + "&".join(
            f"{code}={value}"
            for code, values in answers.items()
            for value in (values if isinstance(values, list) else [values])
        )

    def items(response):
        return len(response.context["items"])

    small = measure(client, None, guide(START_MINIMAL), items)
    large = measure(client, None, guide(START_ALL), items)
    assert_flat("bundle guide", small, large)


PROBLEM_PAGES = {
    "problems: all (leader)": ("leader", "/problems/", context_rows("rows")),
    "problems: department worklist": ("env_reviewer", "/problems/worklist/", context_rows("rows")),
    "problems: dispatch queue": ("dispatcher", "/problems/queue/", context_rows("rows")),
    "API: problems": ("leader", "/api/v1/problems/", api_rows),
}


def test_problem_pages_send_as_many_statements_for_3n_rows_as_for_n(problems, client):
    def measure_all():
        return {
            name: measure(client, getattr(problems, role), path, rows)
            for name, (role, path, rows) in PROBLEM_PAGES.items()
        }

    problems.add(N)
    small = measure_all()
    problems.add(2 * N)
    large = measure_all()
    failures = _failures(small, large)
    assert not failures, "\n\n".join(failures)


# --- one application's pages: their rows are its tasks and materials ------------------------------------------


@pytest.fixture
def small_and_large(db, settings, tmp_path, time_machine):
    """Two accepted applications of 开工一件事, with its mandatory items only (3 tasks, one running) and with
    every item (14 tasks, several running), and two submitted ones (few materials, many materials)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    at(time_machine, START_DAY)
    world = load_demo_world()
    world.leader = staff("leader", username="leader")
    world.visitor = None
    world.small = accepted(world, "start-construction", START_MINIMAL, key="small")
    world.large = accepted(world, "start-construction", START_ALL, key="large")
    world.small_submitted = submitted(world, "start-construction", START_MINIMAL, key="small-submitted")
    world.large_submitted = submitted(world, "start-construction", START_ALL, key="large-submitted")
    return world


def test_one_applications_pages_send_as_many_statements_for_many_tasks_as_for_few(small_and_large, client):
    world = small_and_large
    reviewer = world.reviewer("planning")

    def task_page(application):  # the same item's task in both: the page differs only by the other tasks
        return f"/department/tasks/{task_of(application, EPP).pk}/"

    def tasks_shown(response):
        return len(response.context["tasks"])

    def other_tasks(response):
        return len(response.context["other_tasks"])

    def materials(response):
        return len(response.context["form"].rows)

    pages = {
        "applicant's application page (its tasks, lights, days left)": (
            world.applicant,
            lambda application: f"/portal/applications/{application.pk}/",
            tasks_shown,
        ),
        "leaders' application page (tasks, materials, audit trail)": (
            world.leader,
            lambda application: f"/leaders/applications/{application.pk}/",
            tasks_shown,
        ),
        "department task page (the other tasks with their lights)": (reviewer, task_page, other_tasks),
    }
    failures = []
    for name, (user, path, rows) in pages.items():
        small = measure(client, user, path(world.small), rows)
        large = measure(client, user, path(world.large), rows)
        try:
            assert_flat(name, small, large)
        except AssertionError as error:
            failures.append(str(error))
    intake = "window intake page (a verdict per material)"
    small = measure(
        client, world.clerk, f"/window/applications/{world.small_submitted.pk}/intake/", materials
    )
    large = measure(
        client, world.clerk, f"/window/applications/{world.large_submitted.pk}/intake/", materials
    )
    try:
        assert_flat(intake, small, large)
    except AssertionError as error:
        failures.append(str(error))
    assert not failures, "\n\n".join(failures)
