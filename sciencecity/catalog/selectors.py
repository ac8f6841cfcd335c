"""Reads of the catalog that pages, the API, commands and other apps share."""

from django.utils import timezone

from .models import CatalogVersion


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
