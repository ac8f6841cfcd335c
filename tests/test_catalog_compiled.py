"""A published catalog version never changes, by any path of the ORM that runs model code or signals: what
`sciencecity.catalog.compiled` relies on to keep a compiled version for the life of a process.

`tests/test_catalog.py` covers saving and deleting rows, queryset deletes and many-to-many changes from the
owning side; here the ways round those: moving a row out of a published version, a form rule deleted by a
queryset, links changed from the item's side, and the version row itself.
"""

from pathlib import Path

import pytest
import yaml
from django.db import transaction

from sciencecity.catalog import compiled
from sciencecity.catalog.models import (
    CatalogVersion,
    FormField,
    FormRule,
    ItemDependency,
    PublishedVersionError,
    ServiceItem,
    SituationRule,
)
from sciencecity.catalog.services import import_catalog
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "sciencecity" / "demo" / "data"


@pytest.fixture
def versions():
    """The demo catalog twice: published, and a draft copy of it."""
    for row in yaml.safe_load((DATA / "departments.yaml").read_text(encoding="utf-8")):
        DepartmentFactory(**row)
    text = (DATA / "catalog.yaml").read_text(encoding="utf-8")
    return import_catalog(text, publish=True), import_catalog(text)


def refused(action):
    """`action` raises PublishedVersionError; signal guards spoil Django's own atomic block, so each runs in a
    savepoint of its own."""
    with pytest.raises(PublishedVersionError, match="已发布"), transaction.atomic():
        action()


def test_a_row_cannot_leave_a_published_version_for_a_draft(versions):
    published, draft = versions
    item = published.items.get(code="construction-permit")
    item.version = draft
    item.code = "moved"
    refused(item.save)
    rule = SituationRule.objects.filter(bundle__version=published).first()
    rule.bundle = draft.bundles.get(code=rule.bundle.code)
    refused(rule.save)
    use = item.item_materials.first()
    use.item = draft.items.get(code="construction-permit")
    refused(use.save)
    assert ServiceItem.objects.filter(version=published, code="construction-permit").exists()


def test_form_rules_of_a_published_version_refuse_a_queryset_delete(versions):
    published, draft = versions
    refused(FormRule.objects.filter(bundle__version=published).delete)
    assert FormRule.objects.filter(bundle__version=published).exists()
    FormRule.objects.filter(bundle__version=draft).delete()


def test_links_of_a_published_version_refuse_changes_from_the_items_side(versions):
    published, draft = versions
    draft_item = draft.items.get(code="construction-permit")
    rule = SituationRule.objects.filter(bundle__version=published).first()
    form_field = FormField.objects.filter(bundle__version=published).first()
    bundle = published.bundles.first()
    refused(lambda: draft_item.selected_by_rules.add(rule))
    refused(lambda: draft_item.form_fields.add(form_field))
    refused(lambda: draft_item.bundles.add(bundle))
    published_item = rule.items.first()
    refused(lambda: published_item.selected_by_rules.remove(rule))
    refused(published_item.selected_by_rules.clear)
    assert rule.items.filter(pk=published_item.pk).exists()
    # A draft's links change from either side.
    draft_rule = SituationRule.objects.filter(bundle__version=draft).first()
    linked = draft_rule.items.first()
    linked.selected_by_rules.remove(draft_rule)
    linked.selected_by_rules.add(draft_rule)


def test_a_published_version_row_refuses_any_save(versions):
    published, draft = versions
    published.status = CatalogVersion.Status.DRAFT
    with pytest.raises(PublishedVersionError, match=f"v{published.number}"):
        published.save()
    published.refresh_from_db()
    published.label = "改名"
    with pytest.raises(PublishedVersionError):
        published.save(update_fields=["label"])
    published.refresh_from_db()
    assert published.is_published and published.label != "改名"
    draft.label = "改名"
    draft.save()


def test_dependencies_of_a_published_version_refuse_save_and_delete(versions):
    published, _draft = versions
    dependency = ItemDependency.objects.filter(bundle__version=published).first()
    refused(dependency.delete)
    refused(ItemDependency.objects.filter(bundle__version=published).delete)


def test_compiled_is_not_the_way_to_drafts(versions):
    """A draft is never compiled, whatever this process has learned."""
    _published, draft = versions
    compiled._mark_committed(draft.pk)
    assert compiled.compiled(draft.pk) is None
