"""A published catalog version, compiled once per process into an immutable structure.

A published version never changes (the guards in `models`), so what the approval services ask of it at every
submission and acceptance (the bundle's items in order, its situation questions and rules, the materials of
each item, the merged form and its rules, the dependencies) is read from the database once per process, in a
fixed few queries, and kept here: `compiled(version_id)`. The section functions below (`questions`, `rules`,
`uses`, `material_uses`, `form_fields`, `form_field_items`, `form_rules`, `dependencies`) answer from it, and
read the rows of one bundle as before whenever there is no compiled version to answer from: always for a
draft, which is never kept, and for a published version until this process knows its publication committed.

That last condition is what keeps the cache right without any timer or invalidation. A version is compiled
only once this process has seen it published *outside any uncommitted transaction*: read in autocommit, or
read inside a transaction that then committed (learned by `transaction.on_commit`, which a rollback discards).
Published and committed, a version stays published and its rows stay as they are for good, so nothing compiled
from it can go stale, whatever other processes do. A version published in a transaction that rolls back is
never compiled, so its primary key, which SQLite may hand out again, cannot bring back stale content.

What it holds. Model instances loaded once (`ServiceItem`, `SituationQuestion`, `MaterialSpec`, `FormField`,
`FormRule`, `Bundle`), shared by every caller of the process and to be treated as read-only; the structure
around them is frozen dataclasses, tuples, frozensets and `MappingProxyType`. The instances hold no row from
outside the catalog: an item's department and a bundle's lead department can change (an administrator renames
a department) and are read per call, as before (`with_departments`, `bundle_copy`).
"""

import copy
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from django.db import transaction
from django.db.models import F, prefetch_related_objects

from .models import (
    Bundle,
    BundleItem,
    CatalogVersion,
    FormField,
    FormRule,
    ItemDependency,
    ItemMaterial,
    MaterialSpec,
    ServiceItem,
    SituationQuestion,
    SituationRule,
)

# Versions kept per process: the one in force and those that applications still being processed pinned.
MAX_VERSIONS = 8

EMPTY: Mapping = MappingProxyType({})


@dataclass(frozen=True)
class Rule:
    """A situation rule: when every condition holds ({question code: accepted answers}), `item_ids` are
    selected."""

    pk: int
    conditions: Mapping[str, tuple]
    item_ids: frozenset[int]


@dataclass(frozen=True)
class Use:
    """An item of a bundle, in bundle order; `mandatory` False means selected by a situation rule."""

    item: ServiceItem
    mandatory: bool


@dataclass(frozen=True)
class MaterialUse:
    """A material that an item needs (an `ItemMaterial`), and how strictly."""

    item_id: int
    material: MaterialSpec
    required: bool
    gap_tolerated: bool
    pledge_allowed: bool

    @property
    def material_id(self) -> int:
        return self.material.pk


@dataclass(frozen=True)
class CompiledBundle:
    bundle: Bundle
    questions: tuple[SituationQuestion, ...]
    rules: tuple[Rule, ...]
    uses: tuple[Use, ...]
    form_fields: tuple[FormField, ...]
    form_field_items: Mapping[int, tuple[int, ...]]  # {form field pk: pks of the items that use it, in order}
    form_rules: tuple[FormRule, ...]
    dependencies: Mapping[int, frozenset[int]]  # {item pk: pks of its prerequisites}


@dataclass(frozen=True)
class CompiledVersion:
    version_id: int
    number: int
    bundles: Mapping[int, CompiledBundle]
    material_uses: Mapping[int, tuple[MaterialUse, ...]]  # {item pk: its materials, by material code}
    materials: Mapping[int, MaterialSpec]  # {material pk: the material}, those the items use
    # Figures computed from the version's rows alone (`derived`), by key; filled as they are first asked for.
    figures: dict = field(default_factory=dict, compare=False, repr=False)


# --- the per-process cache ------------------------------------------------------------------------------

_lock = threading.Lock()
_versions: "OrderedDict[int, CompiledVersion]" = OrderedDict()  # least recently used first
_bundles: dict[int, tuple[CompiledVersion, CompiledBundle]] = {}  # {bundle pk: of the versions kept}
_committed: set[int] = set()  # versions this process has seen published outside an uncommitted transaction


def cache_clear() -> None:
    """Forget every compiled version and what was learned (tests, where the database is rolled back)."""
    global _bundles
    with _lock:
        _versions.clear()
        _bundles = {}
        _committed.clear()


def _reads_committed() -> bool:
    """Whether what a query reads now is committed: autocommit, outside any transaction."""
    connection = transaction.get_connection()
    return not connection.in_atomic_block and connection.get_autocommit()


def _cached(version_id) -> CompiledVersion | None:
    with _lock:
        found = _versions.get(version_id)
        if found is not None:
            _versions.move_to_end(version_id)
        return found


def _keep(version: CompiledVersion) -> None:
    global _bundles
    with _lock:
        _versions[version.version_id] = version
        _versions.move_to_end(version.version_id)
        while len(_versions) > MAX_VERSIONS:
            _versions.popitem(last=False)
        # A new index, swapped in whole: readers never see it half built.
        _bundles = {pk: (kept, found) for kept in _versions.values() for pk, found in kept.bundles.items()}


def _mark_committed(version_id) -> None:
    with _lock:
        _committed.add(version_id)


def _learn(version_id, status) -> None:
    """Note that `version_id` was read as published: at once when what was read is committed, else when (and
    only if) the transaction that read it commits."""
    if status != CatalogVersion.Status.PUBLISHED or version_id in _committed:
        return
    if _reads_committed():
        _mark_committed(version_id)
    else:
        transaction.on_commit(lambda: _mark_committed(version_id))


def compiled(version_id) -> CompiledVersion | None:
    """The compiled version `version_id`: from this process's cache, else compiled now (ten queries) if
    this process knows it published and committed, or if nothing uncommitted can be read (autocommit).
    None for a draft, and for a version that may have been published by the transaction in progress."""
    found = _cached(version_id)
    if found is not None:
        return found
    if version_id not in _committed and not _reads_committed():
        return None
    built = _compile(version_id)
    if built is not None:
        _mark_committed(version_id)
        _keep(built)
    return built


def derived(version_id, key, compute):
    """What `compute()` makes of the catalog rows of version `version_id` alone (for example the reform
    figures of its bundles, which the leaders' overview and the cockpit show on every visit): computed once
    per process and key, and kept with the compiled version when there is one, for it can no more go stale
    than the version's rows; computed at every call otherwise (a draft, a version not known committed). A
    caller gets its own copy, to change as it likes. `key` says everything else the result depends on, such
    as the language of its labels."""
    version = compiled(version_id)
    if version is None:
        return compute()
    with _lock:
        found = version.figures.get(key, _MISSING)
    if found is _MISSING:
        found = compute()
        with _lock:
            found = version.figures.setdefault(key, found)
    return copy.deepcopy(found)


_MISSING = object()


def _compiled_bundle(bundle) -> tuple[CompiledVersion, CompiledBundle] | None:
    """The compiled version and bundle of a `Bundle` instance, if its version is kept, or known published and
    committed (then compiled now); None otherwise: the caller reads the bundle's rows."""
    found = _bundles.get(bundle.pk)
    if found is not None and found[0].version_id == bundle.version_id:
        with _lock:
            if bundle.version_id in _versions:
                _versions.move_to_end(bundle.version_id)  # recently used
        return found
    if bundle.version_id not in _committed:
        return None
    version = compiled(bundle.version_id)
    if version is None or bundle.pk not in version.bundles:
        return None
    return version, version.bundles[bundle.pk]


def material_specs(bundle_id) -> Mapping[int, MaterialSpec] | None:
    """{material pk: MaterialSpec} of the compiled version of bundle `bundle_id`, shared like the rest; None
    (and no query) when that version is not compiled in this process."""
    found = _bundles.get(bundle_id)
    return found[0].materials if found is not None else None


def bundle_copy(bundle_id) -> Bundle | None:
    """A copy of the `Bundle` row `bundle_id`, if its version is compiled in this process (no query), for a
    caller to keep; else None. Its lead department is read when asked for, as on any fresh row."""
    found = _bundles.get(bundle_id)
    return copy.copy(found[1].bundle) if found is not None else None


def with_departments(items: Iterable[ServiceItem]) -> list[ServiceItem]:
    """The items as a caller may keep them, each with its department: compiled items are copied (the shared
    ones stay untouched) and their departments read now in one query; items read from rows with their
    department are returned as they are."""
    items = list(items)
    if all(ServiceItem.department.is_cached(item) for item in items):
        return items
    copies = [copy.copy(item) for item in items]
    prefetch_related_objects(copies, "department")
    return copies


# --- sections: from the compiled version, else from the rows of one bundle (drafts, first use) ---------------


def questions(bundle) -> tuple[SituationQuestion, ...]:
    """The bundle's situation questions in order. One query without a compiled version."""
    found = _compiled_bundle(bundle)
    if found is not None:
        return found[1].questions
    return _read_questions(bundle_id=bundle.pk).get(bundle.pk, ())


def rules(bundle) -> tuple[Rule, ...]:
    """The bundle's situation rules in order, each with the items it selects. One query without a compiled
    version."""
    found = _compiled_bundle(bundle)
    if found is not None:
        return found[1].rules
    return _read_rules(bundle_id=bundle.pk).get(bundle.pk, ())


def uses(bundle) -> tuple[Use, ...]:
    """The bundle's items in bundle order. One query without a compiled version, which also reads whether the
    version is published (see `_learn`); the items read from rows come with their departments."""
    found = _compiled_bundle(bundle)
    if found is not None:
        return found[1].uses
    rows = list(
        BundleItem.objects.filter(bundle_id=bundle.pk)
        .select_related("item__department")
        .annotate(version_status=F("bundle__version__status"))
        .order_by("position", "id")
    )
    if rows:
        _learn(bundle.version_id, rows[0].version_status)
    return tuple(Use(row.item, row.mandatory) for row in rows)


def material_uses(bundle, item_ids: Iterable[int]) -> dict[int, tuple[MaterialUse, ...]]:
    """{item pk: the materials it needs, by material code} for `item_ids` of the bundle. One query without a
    compiled version."""
    item_ids = list(item_ids)
    found = _compiled_bundle(bundle)
    if found is not None:
        return {pk: found[0].material_uses.get(pk, ()) for pk in item_ids}
    read = _read_material_uses(item_id__in=item_ids)
    return {pk: read.get(pk, ()) for pk in item_ids}


def form_fields(bundle) -> tuple[FormField, ...]:
    """The fields of the bundle's merged form, in form order. One query without a compiled version."""
    found = _compiled_bundle(bundle)
    if found is not None:
        return found[1].form_fields
    return _read_form_fields(bundle_id=bundle.pk).get(bundle.pk, ())


def form_field_items(bundle) -> Mapping[int, tuple[int, ...]]:
    """{form field pk: pks of the items that use it}, the items in catalog order. One query without a
    compiled version."""
    found = _compiled_bundle(bundle)
    if found is not None:
        return found[1].form_field_items
    return _read_form_field_items(formfield__bundle_id=bundle.pk)


def form_rules(bundle) -> tuple[FormRule, ...]:
    """The rules between fields of the bundle's merged form, in order. One query without a compiled version."""
    found = _compiled_bundle(bundle)
    if found is not None:
        return found[1].form_rules
    return _read_form_rules(bundle_id=bundle.pk).get(bundle.pk, ())


def dependencies(bundle) -> Mapping[int, frozenset[int]]:
    """{item pk: pks of its prerequisites} within the bundle (items without any absent). One query without a
    compiled version."""
    found = _compiled_bundle(bundle)
    if found is not None:
        return found[1].dependencies
    return _read_dependencies(bundle_id=bundle.pk).get(bundle.pk, EMPTY)


# --- reading: the same queries for one bundle (`bundle_id=`) or a whole version ----------------------------


def _frozen_conditions(conditions) -> Mapping[str, tuple]:
    return MappingProxyType(
        {
            code: tuple(accepted) if isinstance(accepted, list | tuple) else accepted
            for code, accepted in (conditions or {}).items()
        }
    )


def _read_questions(**where) -> dict[int, tuple[SituationQuestion, ...]]:
    grouped: dict[int, list] = {}
    for question in SituationQuestion.objects.filter(**where).order_by("bundle_id", "position", "code"):
        grouped.setdefault(question.bundle_id, []).append(question)
    return {pk: tuple(rows) for pk, rows in grouped.items()}


def _read_rules(**where) -> dict[int, tuple[Rule, ...]]:
    # One row per rule and item it selects (a rule selecting nothing still comes, with None): one query.
    rows = (
        SituationRule.objects.filter(**where)
        .order_by("bundle_id", "position", "id")
        .values_list("bundle_id", "pk", "conditions", "items")
    )
    grouped: dict[int, dict[int, tuple]] = {}
    for bundle_id, pk, conditions, item_id in rows:
        rules_of = grouped.setdefault(bundle_id, {})
        if pk not in rules_of:
            rules_of[pk] = (conditions, set())
        if item_id is not None:
            rules_of[pk][1].add(item_id)
    return {
        bundle_id: tuple(
            Rule(pk, _frozen_conditions(conditions), frozenset(items))
            for pk, (conditions, items) in rules_of.items()
        )
        for bundle_id, rules_of in grouped.items()
    }


def _read_material_uses(**where) -> dict[int, tuple[MaterialUse, ...]]:
    specs: dict[int, MaterialSpec] = {}
    grouped: dict[int, list[MaterialUse]] = {}
    for row in ItemMaterial.objects.filter(**where).select_related("material"):
        spec = specs.setdefault(row.material_id, row.material)  # one instance per material
        grouped.setdefault(row.item_id, []).append(
            MaterialUse(row.item_id, spec, row.required, row.gap_tolerated, row.pledge_allowed)
        )
    return {
        item_id: tuple(sorted(found, key=lambda use: use.material.code)) for item_id, found in grouped.items()
    }


def _read_form_fields(**where) -> dict[int, tuple[FormField, ...]]:
    grouped: dict[int, list] = {}
    for form_field in FormField.objects.filter(**where).order_by("bundle_id", "position", "code"):
        grouped.setdefault(form_field.bundle_id, []).append(form_field)
    return {pk: tuple(rows) for pk, rows in grouped.items()}


def _read_form_field_items(**where) -> Mapping[int, tuple[int, ...]]:
    # The items of each field in ServiceItem's own order (version, stage, code), as `field.items.all()` gives.
    rows = (
        FormField.items.through.objects.filter(**where)
        .order_by("formfield_id", "serviceitem__version", "serviceitem__stage", "serviceitem__code")
        .values_list("formfield_id", "serviceitem_id")
    )
    grouped: dict[int, list[int]] = {}
    for field_id, item_id in rows:
        grouped.setdefault(field_id, []).append(item_id)
    return MappingProxyType({pk: tuple(items) for pk, items in grouped.items()})


def _read_form_rules(**where) -> dict[int, tuple[FormRule, ...]]:
    grouped: dict[int, list] = {}
    for rule in FormRule.objects.filter(**where).order_by("bundle_id", "position", "id"):
        grouped.setdefault(rule.bundle_id, []).append(rule)
    return {pk: tuple(rows) for pk, rows in grouped.items()}


def _read_dependencies(**where) -> dict[int, Mapping[int, frozenset[int]]]:
    grouped: dict[int, dict[int, set[int]]] = {}
    rows = ItemDependency.objects.filter(**where).values_list("bundle_id", "item_id", "depends_on_id")
    for bundle_id, item_id, prerequisite_id in rows:
        grouped.setdefault(bundle_id, {}).setdefault(item_id, set()).add(prerequisite_id)
    return {
        bundle_id: MappingProxyType({pk: frozenset(found) for pk, found in graph.items()})
        for bundle_id, graph in grouped.items()
    }


def _compile(version_id) -> CompiledVersion | None:
    """Read a published version whole (ten queries whatever its size); None unless it is published."""
    version = CatalogVersion.objects.filter(pk=version_id, status=CatalogVersion.Status.PUBLISHED).first()
    if version is None:
        return None
    where = {"bundle__version_id": version_id}
    bundles = list(Bundle.objects.filter(version_id=version_id).order_by("id"))
    items: dict[int, ServiceItem] = {}
    uses_of: dict[int, list[Use]] = {}
    rows = BundleItem.objects.filter(**where).select_related("item").order_by("bundle_id", "position", "id")
    for row in rows:
        item = items.setdefault(row.item_id, row.item)  # one instance per item, without its department
        uses_of.setdefault(row.bundle_id, []).append(Use(item, row.mandatory))
    questions_of = _read_questions(**where)
    rules_of = _read_rules(**where)
    fields_of = _read_form_fields(**where)
    field_items = _read_form_field_items(formfield__bundle__version_id=version_id)
    form_rules_of = _read_form_rules(**where)
    dependencies_of = _read_dependencies(**where)
    material_uses_of = _read_material_uses(item__version_id=version_id)
    materials = {use.material_id: use.material for found in material_uses_of.values() for use in found}
    compiled_bundles = {}
    for bundle in bundles:
        fields = fields_of.get(bundle.pk, ())
        compiled_bundles[bundle.pk] = CompiledBundle(
            bundle=bundle,
            questions=questions_of.get(bundle.pk, ()),
            rules=rules_of.get(bundle.pk, ()),
            uses=tuple(uses_of.get(bundle.pk, ())),
            form_fields=fields,
            form_field_items=MappingProxyType(
                {field.pk: field_items[field.pk] for field in fields if field.pk in field_items}
            ),
            form_rules=form_rules_of.get(bundle.pk, ()),
            dependencies=dependencies_of.get(bundle.pk, EMPTY),
        )
    return CompiledVersion(
        version_id=version.pk,
        number=version.number,
        bundles=MappingProxyType(compiled_bundles),
        material_uses=MappingProxyType(material_uses_of),
        materials=MappingProxyType(materials),
    )
