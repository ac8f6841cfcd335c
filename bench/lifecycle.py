"""Lifecycle throughput: complete 开工一件事 applications through the real service functions.

A bench world (the demo departments and catalog, one enterprise, its project and applicant, a window clerk
and one reviewer per department) is made once. One draft is made through the services (start, answers that
select every situational item, the merged form, an upload for every material), then copied row for row into
as many prepared drafts as the run needs: preparing is not what is measured.

What is measured, per application, all through `sciencecity.approvals.services`: submit → record the
window's verdicts → accept (tasks created) → every review task claimed and approved as it becomes pending
(prerequisites released, certificates issued) → concluded → delivered. Every step locks, checks the
transition table, writes its audit event and its notifications, as in production. Worker processes
(multiprocessing, each with its own database connection) take disjoint shares of the prepared drafts and
start together; the wall time runs from the start signal until the last one finishes.

"Task transitions" are the audit events recorded on review tasks in the run (release, claim, approve): each
is one row of the task transition table applied.
"""

import datetime
import itertools
import multiprocessing
import os
import tempfile
import time
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections, transaction
from django.test import override_settings

from sciencecity.accounts.models import Department, User
from sciencecity.approvals import selectors
from sciencecity.approvals.models import Application, ReviewTask, SubmittedMaterial
from sciencecity.approvals.services import applications, delivery, intake, review
from sciencecity.audit.models import AuditEvent
from sciencecity.catalog.models import Bundle, CatalogVersion, FormField
from sciencecity.demo.samples import FILLERS, SAMPLES
from sciencecity.enterprises.models import Enterprise
from sciencecity.enterprises.validators import make_credit_code
from sciencecity.projects.models import Project
from sciencecity.workdays import clock

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DATA = Path(__file__).resolve().parents[1] / "sciencecity" / "demo" / "data"
# The services date what they do by the platform clock: a Monday of 2026 clear of holidays, so that every
# deadline falls in a year the calendar knows.
MOMENT = datetime.datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI)
BUNDLE = "start-construction"
# Answers that select every situational item of 开工一件事: its 14 review tasks in four dependency rounds.
ANSWERS = {
    "land_with_scheme": "no",
    "new_civil_building": "yes",
    "special_construction": "yes",
    "security_sites": "yes",
    "occupy_road": "yes",
    "site_works": ["waste", "sewage", "earthwork"],
    "eia_category": "report",
    "need_agency": "yes",
}

MEDIA = Path(tempfile.gettempdir()) / "sciencecity-bench-media"
# Serials of the copied drafts' placeholder numbers, unique in the process however often it prepares drafts.
_COPIES = itertools.count(1)
ROLES = {
    "applicant": "bench-applicant-lc",
    "window_clerk": "bench-window",
}


@dataclass
class World:
    project: Project
    bundle: Bundle
    applicant: User
    clerk: User


def _user(username, role, **fields):
    user, _created = User.objects.get_or_create(username=username, defaults=fields)
    user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)


def bench_world() -> World:
    """The departments and the published demo catalog (imported once), an enterprise with a project, its
    applicant, a window clerk and a reviewer in every department."""
    import yaml

    from sciencecity.catalog.services import import_catalog

    for row in yaml.safe_load((DATA / "departments.yaml").read_text(encoding="utf-8")):
        Department.objects.get_or_create(code=row["code"], defaults=row)
    with clock.frozen_at(MOMENT):
        if CatalogVersion.objects.effective_on(clock.today()) is None:
            import_catalog((DATA / "catalog.yaml").read_text(encoding="utf-8"), publish=True)
        version = CatalogVersion.objects.effective_on(clock.today())
    enterprise, _ = Enterprise.objects.get_or_create(
        credit_code=make_credit_code("500106", 49_999_999),
        defaults={
            "name": "重庆基准芯片科技有限公司",
            "legal_representative": "王五",
            "address": "科学大道1号",
        },
    )
    project, _ = Project.objects.get_or_create(
        code="2026-500106-39-03-999999",
        defaults={
            "name": "基准芯片研发中心",
            "enterprise": enterprise,
            "total_investment": 50000,
            "land_area": 20000,
            "floor_area": 60000,
            "location": "重庆市沙坪坝区西永街道",
        },
    )
    for department in Department.objects.all():
        _user(f"bench-reviewer-{department.code}", "department_reviewer", department=department)
    window = Department.objects.filter(code="window").first()
    return World(
        project=project,
        bundle=Bundle.objects.get(version=version, code=BUNDLE),
        applicant=_user(ROLES["applicant"], "applicant", enterprise=enterprise),
        clerk=_user(ROLES["window_clerk"], "window_clerk", department=window),
    )


def _template_draft(world: World) -> Application:
    """One draft made through the services, complete and ready to submit."""
    user = world.applicant
    application = applications.start_application(user, world.project, world.bundle)
    application = applications.save_answers(user, application, ANSWERS)
    items = selectors.selected_items(application.bundle, application.answers, complete=False)
    form = selectors.merged_form(
        application.bundle, items, application.enterprise, application.project, application.form_data
    )
    data = {}
    for entry in form:
        if entry.value in (None, "") and entry.required:
            if entry.field.kind == FormField.Kind.CHOICE:
                data[entry.code] = entry.field.choices[0]["value"]
            else:
                data[entry.code] = FILLERS[entry.field.kind]
    if data:
        application = applications.save_form(user, application, data)
    _items, notice, _form = applications.requirements(application)
    for entry in notice:
        if entry.needs_submission:
            kind = (entry.spec.formats or ["pdf"])[0]
            applications.upload_material(
                user, application, entry.code, SimpleUploadedFile(f"{entry.code}.{kind}", SAMPLES[kind])
            )
    return application


def prepare_drafts(world: World, count: int) -> list[int]:
    """`count` drafts ready to submit: one through the services, the rest copies of its rows."""
    with override_settings(MEDIA_ROOT=str(MEDIA)), clock.frozen_at(MOMENT):
        template = _template_draft(world)
    materials = list(SubmittedMaterial.objects.filter(application=template, is_current=True))
    drafts = [template.pk]
    batch = 500
    with transaction.atomic():
        for start in range(1, count, batch):
            made = Application.objects.bulk_create(
                [
                    Application(
                        number=f"{applications.DRAFT_NUMBER_PREFIX}B{os.getpid():06d}{next(_COPIES):07d}",
                        enterprise_id=template.enterprise_id,
                        project_id=template.project_id,
                        bundle_id=template.bundle_id,
                        applicant_id=template.applicant_id,
                        status=Application.Status.DRAFT,
                        answers=template.answers,
                        form_data=template.form_data,
                    )
                    for _n in range(start, min(start + batch, count))
                ]
            )
            copies = []
            for application in made:
                for material in materials:
                    copy = SubmittedMaterial(
                        **{
                            f.attname: getattr(material, f.attname)
                            for f in SubmittedMaterial._meta.concrete_fields
                            if not f.primary_key
                        }
                    )
                    copy.application_id = application.pk
                    copies.append(copy)
            SubmittedMaterial.objects.bulk_create(copies, batch_size=5000)
            drafts += [application.pk for application in made]
    return drafts


def complete_application(world: World, reviewers: dict, pk: int, n: int) -> None:
    """Submit, accept, review every task, conclude and deliver one application: the services only."""
    application = Application.objects.get(pk=pk)
    application = applications.submit_application(world.applicant, application, idempotency_key=f"bench-{pk}")
    pending = application.materials.filter(is_current=True, verdict=SubmittedMaterial.Verdict.PENDING)
    verdicts = dict.fromkeys(pending.values_list("spec__code", flat=True), ("accepted", ""))
    if verdicts:
        intake.record_verdicts(world.clerk, application, verdicts)
    application = intake.accept_application(world.clerk, application)
    while True:
        tasks = list(
            ReviewTask.objects.filter(application_id=pk, status=ReviewTask.Status.PENDING).order_by("pk")
        )
        if not tasks:
            break
        for task in tasks:
            reviewer = reviewers[task.department_id]
            task = review.claim_task(reviewer, task)
            review.approve_task(reviewer, task, "符合要求,准予许可。")
    delivery.deliver_application(world.clerk, application, method="electronic")


def _worker(world_ids, pks, start_event, done_queue):
    connections.close_all()
    world = World(
        project=Project.objects.get(pk=world_ids["project"]),
        bundle=Bundle.objects.get(pk=world_ids["bundle"]),
        applicant=User.objects.get(pk=world_ids["applicant"]),
        clerk=User.objects.get(pk=world_ids["clerk"]),
    )
    reviewers = {
        user.department_id: user
        for user in User.objects.filter(username__startswith="bench-reviewer-").order_by("pk")
    }
    # Warm the per-process caches (permissions, content types) before the clock starts.
    for user in (world.applicant, world.clerk, *reviewers.values()):
        user.get_all_permissions()
    ContentType.objects.get_for_model(ReviewTask)
    start_event.wait()
    started = time.perf_counter()
    errors = 0
    # DEBUG off as in production (`make bench` runs with the development default): no query log, whose
    # bookkeeping on every statement is no part of the engine's cost. The Spiff workers run the same way.
    with override_settings(MEDIA_ROOT=str(MEDIA), DEBUG=False), clock.frozen_at(MOMENT):
        for n, pk in enumerate(pks):
            try:
                complete_application(world, reviewers, pk, n)
            except Exception as error:  # count, report, go on: a failed lifecycle is a finding
                errors += 1
                if errors <= 3:
                    done_queue.put(("error", repr(error)))
    done_queue.put(("done", time.perf_counter() - started, errors))
    connections.close_all()


def run_lifecycle(world: World, drafts: list[int], workers: int) -> dict:
    """Complete `drafts` with `workers` processes; returns the figures."""
    task_type = ContentType.objects.get_for_model(ReviewTask)
    first_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    world_ids = {
        "project": world.project.pk,
        "bundle": world.bundle.pk,
        "applicant": world.applicant.pk,
        "clerk": world.clerk.pk,
    }
    context = multiprocessing.get_context("fork")
    start_event, done_queue = context.Event(), context.Queue()
    shares = [drafts[i::workers] for i in range(workers)]
    connections.close_all()
    processes = [
        context.Process(target=_worker, args=(world_ids, share, start_event, done_queue)) for share in shares
    ]
    for process in processes:
        process.start()
    time.sleep(1.0)  # let every worker connect and warm up
    started = time.perf_counter()
    start_event.set()
    finished, errors, messages = 0, 0, []
    while finished < workers:
        message = done_queue.get()
        if message[0] == "done":
            finished += 1
            errors += message[2]
        else:
            messages.append(message[1])
    wall = time.perf_counter() - started
    for process in processes:
        process.join()
    completed = Application.objects.filter(pk__in=drafts, status=Application.Status.DELIVERED).count()
    transitions = AuditEvent.objects.filter(pk__gt=first_event, target_type=task_type).count()
    events = AuditEvent.objects.filter(pk__gt=first_event).count()
    return {
        "vendor": connection.vendor,
        "workers": workers,
        "applications": completed,
        "errors": errors,
        "error_messages": messages,
        "seconds": wall,
        "apps_per_s": completed / wall,
        "task_transitions": transitions,
        "transitions_per_s": transitions / wall,
        "audit_events": events,
        "tasks_per_application": ReviewTask.objects.filter(application_id=drafts[0]).count(),
    }


def _statement_kind(sql: str) -> str:
    """A short label of one SQL statement: verb and first table, e.g. "SELECT approvals_reviewtask"."""
    words = sql.split()
    verb = words[0].upper() if words else "?"
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"):
        return verb
    marker = {"SELECT": " FROM ", "INSERT": "INSERT INTO ", "UPDATE": "UPDATE ", "DELETE": "DELETE FROM "}
    text = sql.upper()
    index = text.find(marker.get(verb, " FROM "))
    if index < 0:
        return verb
    table = sql[index + len(marker.get(verb, " FROM ")) :].split()[0].strip('"`')
    lock = " FOR UPDATE" if verb == "SELECT" and "FOR UPDATE" in text else ""
    return f"{verb} {table}{lock}"


def bench_reviewers() -> dict:
    """{department id: the bench reviewer of that department}."""
    return {
        user.department_id: user
        for user in User.objects.filter(username__startswith="bench-reviewer-").order_by("pk")
    }


def statement_profile(world: World, reviewers: dict, pk: int) -> dict:
    """The SQL statements one application costs, driven exactly as `complete_application` drives it, counted
    per service call (`CaptureQueriesContext`, savepoints included) and grouped by phase and by kind.

    The statements the driver itself issues to find the next pending tasks and materials are not counted:
    only what the service functions send.
    """
    from collections import Counter

    from django.test.utils import CaptureQueriesContext

    phases: dict[str, list[int]] = {}
    kinds: Counter = Counter()

    def measured(phase, function, *args, **kwargs):
        with CaptureQueriesContext(connection) as captured:
            result = function(*args, **kwargs)
        phases.setdefault(phase, []).append(len(captured.captured_queries))
        kinds.update(_statement_kind(query["sql"]) for query in captured.captured_queries)
        return result

    task_type = ContentType.objects.get_for_model(ReviewTask)
    first_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with override_settings(MEDIA_ROOT=str(MEDIA)), clock.frozen_at(MOMENT):
        application = Application.objects.get(pk=pk)
        application = measured(
            "submit",
            applications.submit_application,
            world.applicant,
            application,
            idempotency_key=f"st-{pk}",
        )
        pending = application.materials.filter(is_current=True, verdict=SubmittedMaterial.Verdict.PENDING)
        verdicts = dict.fromkeys(pending.values_list("spec__code", flat=True), ("accepted", ""))
        if verdicts:
            measured("record_verdicts", intake.record_verdicts, world.clerk, application, verdicts)
        application = measured(
            "accept (tasks created, first round released)",
            intake.accept_application,
            world.clerk,
            application,
        )
        while True:
            tasks = list(
                ReviewTask.objects.filter(application_id=pk, status=ReviewTask.Status.PENDING).order_by("pk")
            )
            if not tasks:
                break
            for task in tasks:
                reviewer = reviewers[task.department_id]
                task = measured("claim_task", review.claim_task, reviewer, task)
                measured(
                    "approve_task (certificate, releases, conclusion)",
                    review.approve_task,
                    reviewer,
                    task,
                    "符合要求,准予许可。",
                )
        measured("deliver", delivery.deliver_application, world.clerk, application, method="electronic")
    transitions = AuditEvent.objects.filter(pk__gt=first_event, target_type=task_type).count()
    total = sum(sum(counts) for counts in phases.values())
    return {
        "statements": total,
        "task_transitions": transitions,
        "per_transition": total / max(transitions, 1),
        "phases": {
            name: {"calls": len(c), "statements": sum(c), "max": max(c)} for name, c in phases.items()
        },
        "kinds": dict(kinds.most_common()),
    }
