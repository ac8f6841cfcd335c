"""Reads of the power list that the pages, the API and the exports share."""

from django.db.models import Exists, OuterRef, Prefetch, Q

from sciencecity.catalog.models import ServiceItem

from .models import PowerItem

MAX_QUERY = 100


def with_links(powers):
    """`powers` with their department and their item codes (two queries for any number of powers)."""
    return powers.select_related("department").prefetch_related(
        Prefetch("item_links", queryset=PowerItem.objects.order_by("item_code"))
    )


def search(powers, *, q: str = "", kind: str = "", department: str = "", status: str = ""):
    """`powers` narrowed by a text (name, code, basis, authority, decision, an item code), a kind, a
    department (its code) and a status; each filter is skipped when empty."""
    q = (q or "").replace("\x00", "").strip()[:MAX_QUERY]
    if q:
        by_item = PowerItem.objects.filter(power=OuterRef("pk"), item_code__icontains=q)
        powers = powers.filter(
            Q(name__icontains=q)
            | Q(name_en__icontains=q)
            | Q(code__iexact=q)
            | Q(law__icontains=q)
            | Q(article__icontains=q)
            | Q(original_authority__icontains=q)
            | Q(decision_number__icontains=q)
            | Exists(by_item)
        )
    if kind:
        powers = powers.filter(kind=kind)
    if department:
        powers = powers.filter(department__code=department)
    if status:
        powers = powers.filter(status=status)
    return powers


def items_in_version(codes, version) -> dict[str, ServiceItem]:
    """{code: the item of `version` with that code} (with its department), one query; none without a version."""
    if version is None or not codes:
        return {}
    return {
        item.code: item
        for item in ServiceItem.objects.filter(version=version, code__in=list(codes)).select_related(
            "department"
        )
    }
