"""The published catalog compiled once per process (`sciencecity.catalog.compiled`).

The selectors answer the same from the compiled version as from the rows; submission and acceptance then read
no catalog row; a draft, and a version whose publication this process has not seen committed, are never kept;
what is kept cannot be changed, holds no department (departments change) and is bounded.

Inside a test the services' transactions are savepoints of the test's own, which never commits: a process
learns that a version is published and committed through `transaction.on_commit`, so these tests run the
callbacks (`django_capture_on_commit_callbacks(execute=True)`) where a real process would commit.
"""

import contextlib
import dataclasses
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from sciencecity.accounts.models import Department
from sciencecity.approvals import selectors
from sciencecity.approvals.models import ReviewTask
from sciencecity.approvals.services import applications, intake
from sciencecity.catalog import compiled
from sciencecity.catalog.models import CatalogVersion, ItemDependency, ServiceItem
from sciencecity.catalog.services import import_catalog, publish_version
from tests.approvals.conftest import (
    JOINT_SPECIAL,
    START_ALL,
    START_MINIMAL,
    accept_all_materials,
    draft,
    upload_needed,
)
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[2] / "sciencecity" / "demo" / "data"
ANSWERS = {
    "start-construction": [
        START_ALL,
        START_MINIMAL,
        {},
        {"new_civil_building": "yes", "site_works": ["waste"], "eia_category": "table"},
    ],
    "joint-acceptance": [JOINT_SPECIAL, {}, {"special_construction": "no", "utilities": ["gas"]}],
}


def catalog_statements(captured) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if '"catalog_' in query["sql"]]


@pytest.fixture
def learn(django_capture_on_commit_callbacks):
    """Let the process learn, as a committed transaction would teach it, that `bundle`'s version is
    published."""

    def learn(bundle):
        with django_capture_on_commit_callbacks(execute=True):
            compiled.uses(bundle)
        assert compiled.compiled(bundle.version_id) is not None

    return learn


def described(world, bundle, answers) -> dict:
    """Everything the selectors say of `bundle` for `answers`, as plain values."""
    items = selectors.selected_items(bundle, answers, complete=False)
    notice = selectors.material_notice(bundle, items, world.enterprise, world.project)
    form = selectors.merged_form(
        bundle, items, world.enterprise, world.project, saved={"project_name": "二期"}
    )
    try:
        selectors.normalize_answers(bundle, answers)
        answer_errors = {}
    except ValidationError as error:
        answer_errors = {code: [e.code for e in errors] for code, errors in error.error_dict.items()}
    fields = {entry.code: entry.field for entry in form}
    values = {entry.code: entry.value for entry in form}
    values.update({"planned_start": "2026-09-01", "planned_completion": "2026-08-01"})
    return {
        "items": [(item.pk, item.code, item.department.code, item.department.name) for item in items],
        "notice": [
            (
                entry.code,
                entry.spec.pk,
                [item.code for item in entry.items],
                entry.required,
                entry.gap_tolerated,
                entry.pledge_allowed,
                entry.held_how,
                entry.held_value,
                entry.produced_by.code if entry.produced_by else None,
                entry.needs_submission,
            )
            for entry in notice
        ],
        "form": [
            (entry.code, entry.field.pk, [item.code for item in entry.items], entry.value, entry.prefilled)
            for entry in form
        ],
        "graph": {
            pk: sorted(prerequisites)
            for pk, prerequisites in selectors.dependency_graph(bundle, items).items()
        },
        "questions": [question.code for question in compiled.questions(bundle)],
        "answer_errors": answer_errors,
        "form_rules": {
            code: [e.code for e in errors]
            for code, errors in applications.form_rule_errors(bundle, fields, values).items()
        },
    }


def test_the_selectors_answer_the_same_from_the_compiled_version(world, learn):
    bundles = {code: world.bundle(code) for code in ANSWERS}
    from_rows = {
        (code, n): described(world, bundles[code], answers)
        for code, all_answers in ANSWERS.items()
        for n, answers in enumerate(all_answers)
    }
    assert compiled.compiled(world.version.pk) is None  # published in this (uncommitted) transaction
    learn(bundles["start-construction"])
    with CaptureQueriesContext(connection) as captured:
        from_compiled = {
            (code, n): described(world, bundles[code], answers)
            for code, all_answers in ANSWERS.items()
            for n, answers in enumerate(all_answers)
        }
    assert from_compiled == from_rows
    assert any(entry["graph"] for entry in from_rows.values())
    assert any(entry["form_rules"] for entry in from_rows.values())
    assert not catalog_statements(captured)


def test_submission_and_acceptance_read_no_catalog_row_once_compiled(world, learn):
    application = draft(world, "start-construction", START_ALL)
    upload_needed(world.applicant, application)
    learn(application.bundle)

    with CaptureQueriesContext(connection) as captured:
        applications.submit_application(world.applicant, application, idempotency_key="compiled-1")
    assert not catalog_statements(captured)
    accept_all_materials(world, application)
    with CaptureQueriesContext(connection) as captured:
        accepted = intake.accept_application(world.clerk, application)
    assert not catalog_statements(captured)

    # The tasks and their prerequisites are those the catalog's rows give.
    items = ServiceItem.objects.filter(pk__in=accepted.tasks.values("item_id"))
    assert (
        accepted.tasks.count() == len(selectors.selected_items(accepted.bundle, START_ALL)) == items.count()
    )
    edges = {
        (task.item_id, prerequisite.item_id)
        for task in ReviewTask.objects.filter(application=accepted).prefetch_related("depends_on")
        for prerequisite in task.depends_on.all()
    }
    assert edges == set(
        ItemDependency.objects.filter(
            bundle=accepted.bundle, item__in=items, depends_on__in=items
        ).values_list("item_id", "depends_on_id")
    )
    assert accepted.tasks.filter(status=ReviewTask.Status.PENDING).exists()


def test_a_publication_rolled_back_is_never_learned(world, django_capture_on_commit_callbacks):
    bundle = world.bundle("start-construction")
    with (
        django_capture_on_commit_callbacks(execute=True),
        contextlib.suppress(RuntimeError),
        transaction.atomic(),
    ):
        selectors.selected_items(bundle, START_ALL)
        raise RuntimeError("rolled back")
    assert compiled.compiled(world.version.pk) is None
    with django_capture_on_commit_callbacks(execute=True):
        selectors.selected_items(bundle, START_ALL)
    assert compiled.compiled(world.version.pk) is not None


def test_a_draft_is_read_from_its_rows_every_time(world, learn, django_capture_on_commit_callbacks):
    text = (DATA / "catalog.yaml").read_text(encoding="utf-8")
    version = import_catalog(text)
    bundle = version.bundles.get(code="start-construction")
    with django_capture_on_commit_callbacks(execute=True):
        before = [item.name for item in selectors.selected_items(bundle, START_MINIMAL)]
    assert compiled.compiled(version.pk) is None
    item = bundle.bundle_items.order_by("position").first().item
    item.name = "草稿中改过的名称"
    item.save()
    after = [item.name for item in selectors.selected_items(bundle, START_MINIMAL)]
    assert after[0] == "草稿中改过的名称" and before[0] != after[0]
    # Once published (and committed), the same version is compiled, with the change.
    publish_version(version, user=None)
    learn(bundle)
    assert selectors.selected_items(bundle, START_MINIMAL)[0].name == "草稿中改过的名称"


def test_items_are_handed_out_with_their_department_as_it_is_now(world, learn):
    bundle = world.bundle("start-construction")
    learn(bundle)
    first = selectors.selected_items(bundle, START_MINIMAL)
    department = Department.objects.get(pk=first[0].department_id)
    department.name = "更名后的部门"
    department.save()
    again = selectors.selected_items(bundle, START_MINIMAL)
    assert again[0].department.name == "更名后的部门" and first[0].department.name != "更名后的部门"
    # What the process keeps holds no department, and no caller's change reaches it.
    shared = compiled.compiled(bundle.version_id).bundles[bundle.pk].uses
    assert not any(ServiceItem.department.is_cached(use.item) for use in shared)
    again[0].name = "调用方改的"
    assert all(use.item.name != "调用方改的" for use in shared)
    copy = applications.application_bundle(draft(world, "start-construction", START_MINIMAL))
    assert copy.pk == bundle.pk and copy is not compiled.compiled(bundle.version_id).bundles[bundle.pk].bundle


def test_what_is_kept_cannot_be_changed(world, learn):
    bundle = world.bundle("start-construction")
    learn(bundle)
    version = compiled.compiled(world.version.pk)
    compiled_bundle = version.bundles[bundle.pk]
    with pytest.raises(dataclasses.FrozenInstanceError):
        version.number = 0
    with pytest.raises(TypeError):
        version.bundles[0] = compiled_bundle
    with pytest.raises(TypeError):
        compiled_bundle.dependencies[0] = frozenset()
    rule = compiled_bundle.rules[0]
    with pytest.raises(TypeError):
        rule.conditions["new_civil_building"] = ("no",)
    assert isinstance(compiled_bundle.uses, tuple) and isinstance(rule.item_ids, frozenset)
    assert all(isinstance(accepted, tuple) for accepted in rule.conditions.values())


def test_the_cache_is_bounded(world, learn, monkeypatch):
    monkeypatch.setattr(compiled, "MAX_VERSIONS", 1)
    text = (DATA / "catalog.yaml").read_text(encoding="utf-8")
    second = import_catalog(text, publish=True)
    first_bundle, second_bundle = (
        world.bundle("start-construction"),
        second.bundles.get(code="start-construction"),
    )
    learn(first_bundle)
    learn(second_bundle)
    assert list(compiled._versions) == [second.pk]
    # The first is compiled again when asked for (the process knows it published), and the same.
    again = compiled.compiled(world.version.pk)
    assert list(compiled._versions) == [world.version.pk]
    assert [use.item.code for use in again.bundles[first_bundle.pk].uses] == [
        use.item.code for use in compiled.uses(first_bundle)
    ]


@pytest.mark.django_db(transaction=True)
def test_with_real_commits_and_a_rollback():
    """Outside a test transaction: a version published in a transaction that rolls back is never kept, even
    when the next version takes its primary key again (SQLite may); in autocommit, what is read is committed
    and learned at once."""
    for row in yaml.safe_load((DATA / "departments.yaml").read_text(encoding="utf-8")):
        DepartmentFactory(**row)
    text = (DATA / "catalog.yaml").read_text(encoding="utf-8")
    with contextlib.suppress(RuntimeError), transaction.atomic():
        rolled_back = import_catalog(text, publish=True)
        selectors.selected_items(rolled_back.bundles.get(code="start-construction"), START_ALL)
        raise RuntimeError("rolled back")
    assert not compiled._committed and compiled.compiled(rolled_back.pk) is None

    version = import_catalog(text)  # a draft, perhaps under the same primary key
    bundle = version.bundles.get(code="start-construction")
    item = bundle.bundle_items.order_by("position").first().item
    item.name = "草稿中改过的名称"  # a draft may change
    item.save()
    assert selectors.selected_items(bundle, START_MINIMAL)[0].name == "草稿中改过的名称"
    assert compiled.compiled(version.pk) is None

    publish_version(version, user=None)
    with transaction.atomic():
        selectors.selected_items(bundle, START_MINIMAL)
        assert compiled.compiled(version.pk) is None  # not before the commit
    kept = compiled.compiled(version.pk)
    assert kept is not None and kept.version_id == version.pk
    assert CatalogVersion.objects.get(pk=version.pk).is_published
    assert kept.bundles[bundle.pk].uses[0].item.name == "草稿中改过的名称"
    with CaptureQueriesContext(connection) as captured:
        assert selectors.selected_items(bundle, START_MINIMAL)[0].name == "草稿中改过的名称"
    assert not catalog_statements(captured)


def test_a_version_is_compiled_in_a_fixed_number_of_queries(world, django_assert_num_queries):
    compiled._mark_committed(world.version.pk)  # as a committed transaction would have taught the process
    with django_assert_num_queries(10):
        version = compiled.compiled(world.version.pk)
    assert {bundle.bundle.code for bundle in version.bundles.values()} >= {
        "start-construction",
        "joint-acceptance",
        "land-handover-certificates",
    }
    with django_assert_num_queries(0):
        assert compiled.compiled(world.version.pk) is version


def test_the_reform_figures_are_computed_once_per_version_and_language(world, learn):
    """The leaders' overview and the cockpit show the catalog's reform figures on every visit: once the version
    is known published and committed they are kept with it, per language, and each caller gets its own copy;
    a draft's are computed from its rows at every call."""
    from django.utils import translation

    from sciencecity.approvals import dashboard

    first = dashboard.reform_figures()
    assert {row["code"] for row in first} >= {"start-construction"}
    learn(world.bundle("start-construction"))
    with CaptureQueriesContext(connection) as computing:
        kept = dashboard.reform_figures()
    with CaptureQueriesContext(connection) as reading:
        again = dashboard.reform_figures()
    assert again == kept == first
    assert len(catalog_statements(computing)) > len(catalog_statements(reading)) == 1  # the version in force
    again[0]["separately"]["steps"] = -1  # the caller's own copy
    assert dashboard.reform_figures()[0]["separately"]["steps"] == first[0]["separately"]["steps"]
    with translation.override("en"):
        english = dashboard.reform_figures()
    assert [row["separately"] for row in english] == [row["separately"] for row in first]
    assert english[0]["separately_label"] != first[0]["separately_label"]
