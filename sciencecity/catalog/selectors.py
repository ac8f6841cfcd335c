"""Reads of the catalog that pages, the API, commands and other apps share."""

from django.utils import timezone

from .models import CatalogVersion, ReplacedItem


def current_version(day=None) -> CatalogVersion | None:
    """The published version in force on `day` (default: today in the zone's time zone), or None."""
    return CatalogVersion.objects.effective_on(day or timezone.localdate())


def version_counts(version) -> dict[str, int]:
    """How many materials, items and bundles a version holds (for messages and audit events)."""
    return {
        "materials": version.materials.count(),
        "items": version.items.count(),
        "bundles": version.bundles.count(),
    }


def replaced_items(item_ids) -> dict[int, list]:
    """{merged item pk: the items its single review replaces (三评合一), in order, each with its department}
    for those of `item_ids` that replace any; one query."""
    found: dict[int, list] = {}
    links = (
        ReplacedItem.objects.filter(item_id__in=list(item_ids))
        .select_related("replaced__department")
        .order_by("item_id", "position", "id")
    )
    for link in links:
        found.setdefault(link.item_id, []).append(link.replaced)
    return found
