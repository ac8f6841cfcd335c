"""The catalog's 三评合一 and 一业一证 data: an item's `replaces` (the separate items its one review replaces) and a
bundle's `licence` (the industry licence it issues), in the YAML format, its validation, import and export,
the admin and the guards of a published version."""

import pytest

from sciencecity.catalog.models import Bundle, ReplacedItem, ServiceItem
from sciencecity.catalog.selectors import replaced_items
from sciencecity.catalog.services import copy_version_to_draft, import_catalog
from sciencecity.catalog.yaml_io import export_catalog, parse_catalog, version_to_data
from tests.test_catalog import BUNDLES, ITEMS, catalog, departments, one_error  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

MERGED_ITEM = """
  - code: merged
    name: 三评合一审批
    name_en: Three-in-one review
    department: ecology
    stage: land_planning
    legal_limit_days: 20
    promised_limit_days: 8
    steps: [{name: 受理, limit_days: 1}, {name: 一次审批, limit_days: 7}]
    materials: [licence]
    replaces: [review, defense]
"""
LICENCE = "    licence: {code: start-licence, name: 开工综合许可证, name_en: Start licence}\n"


def with_merger(replaces="[review, defense]") -> str:
    return ITEMS + MERGED_ITEM.replace("[review, defense]", replaces)


def with_licence(licence=LICENCE) -> str:
    return BUNDLES.replace("    promised_limit_days: 15\n", "    promised_limit_days: 15\n" + licence)


def test_a_merger_and_a_licence_import_export_and_copy():
    version = import_catalog(catalog(items=with_merger(), bundles=with_licence()))
    merged = ServiceItem.objects.get(version=version, code="merged")
    assert [item.code for item in merged.replaces.order_by("replaced_links__position")] == [
        "review",
        "defense",
    ]
    assert list(ReplacedItem.objects.filter(item=merged).values_list("replaced__code", "position")) == [
        ("review", 0),
        ("defense", 1),
    ]
    assert {
        item.code for item in ServiceItem.objects.get(version=version, code="review").replaced_by.all()
    } == {"merged"}
    bundle = Bundle.objects.get(version=version, code="start")
    assert (bundle.licence_code, bundle.licence_name, bundle.licence_name_en) == (
        "start-licence",
        "开工综合许可证",
        "Start licence",
    )
    assert bundle.issues_licence and bundle.display_licence_name == "开工综合许可证"
    text = export_catalog(version)
    assert "    replaces: [review, defense]\n" in text
    assert "    licence: {code: start-licence, name: 开工综合许可证, name_en: Start licence}\n" in text
    again = import_catalog(text)
    assert export_catalog(again) == text
    assert version_to_data(again) == parse_catalog(text)
    copy = copy_version_to_draft(version, user=None)
    assert ServiceItem.objects.get(version=copy, code="merged").replaces.count() == 2
    assert Bundle.objects.get(version=copy, code="start").licence_code == "start-licence"
    # The guide's read: what each merged item replaces, in order, with departments; one query.
    found = replaced_items([merged.pk, bundle.items.first().pk])
    assert list(found) == [merged.pk] and [item.code for item in found[merged.pk]] == ["review", "defense"]


def test_no_merger_and_no_licence_by_default():
    version = import_catalog(catalog())
    text = export_catalog(version)
    assert "replaces:" not in text and "licence:" not in text.replace("- {code: licence", "")
    assert not Bundle.objects.get(version=version, code="start").issues_licence


@pytest.mark.parametrize(
    ("replaces", "fragments"),
    [
        ("[review, nowhere]", ("merged", "nowhere")),
        ("[review, merged]", ("merged", "自身")),
        ("[review, review]", ("merged", "review", "重复")),
        ("[review]", ("merged", "至少两个")),
    ],
)
def test_a_merger_must_name_two_other_items_of_the_catalog(replaces, fragments):
    one_error(catalog(items=with_merger(replaces)), *fragments)


def test_an_item_is_merged_once_and_a_merged_item_is_not_merged_again():
    second = MERGED_ITEM.replace("code: merged", "code: merged-again").replace(
        "[review, defense]", "[defense, plan]"
    )
    one_error(catalog(items=with_merger() + second), "merged-again", "defense", "merged")
    chained = MERGED_ITEM.replace("code: merged", "code: chained").replace(
        "[review, defense]", "[merged, plan]"
    )
    one_error(catalog(items=with_merger() + chained), "chained", "merged")


def test_a_licence_has_its_own_type():
    one_error(
        catalog(bundles=with_licence("    licence: {code: plan-permit, name: 许可证}\n")),
        "start",
        "plan-permit",
        "plan",
    )
    one_error(catalog(bundles=with_licence("    licence: {name: 许可证}\n")), "start", "code")
    twice = with_licence() + with_licence().replace("bundles:\n", "").replace(
        "code: start\n", "code: start-2\n"
    )
    one_error(catalog(bundles=twice), "start-2", "start-licence")


def test_the_admin_edits_a_draft_merger(admin_client):
    version = import_catalog(catalog(items=with_merger()))
    merged = ServiceItem.objects.get(version=version, code="merged")
    html = admin_client.get(f"/admin/catalog/serviceitem/{merged.pk}/change/").content.decode()
    assert "replaced_links-TOTAL_FORMS" in html
    html = admin_client.get(f"/admin/catalog/bundle/{Bundle.objects.get(version=version).pk}/change/").content
    assert b"licence_code" in html
