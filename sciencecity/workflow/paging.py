"""Lists that page without counting: a page is sliced with one extra row to know whether a next one exists,
so a table of millions is never counted; and a filter form that htmx submits gets the rows' region alone."""

from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def page_url(request, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return f"{request.path}?{query.urlencode()}"


def page_of(request, queryset, size: int) -> dict:
    """One page of `queryset` (`size` rows): {rows, page, next_url, previous_url}, without a COUNT."""
    page = page_number(request)
    offset = (page - 1) * size
    rows = list(queryset[offset : offset + size + 1])
    return {
        "rows": rows[:size],
        "page": page,
        "next_url": page_url(request, page + 1) if len(rows) > size else "",
        "previous_url": page_url(request, page - 1) if page > 1 else "",
    }


def wants_rows_only(request) -> bool:
    """An htmx request from the filter form (templates/_filter_form.html) wants only the rows' region; a
    history restore (the browser's back button after a cache miss) wants the whole page."""
    headers = request.headers
    return headers.get("HX-Request") == "true" and "HX-History-Restore-Request" not in headers


def rows_or_page(request, rows_template: str, page_template: str, context: dict):
    """The rows' region to htmx, the whole page otherwise; the same URL answers both, so caches must keep
    them apart (Vary: HX-Request)."""
    response = render(request, rows_template if wants_rows_only(request) else page_template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


COUNT_CAP = 1000


def capped_count(queryset, cap: int = COUNT_CAP) -> int:
    """How many rows `queryset` has, counting no further than `cap` + 1: one indexed read that stops there,
    so a tab's or a card's count costs the same in a zone of millions. Shown by `shown_count`."""
    return queryset.order_by()[: cap + 1].count()


def shown_count(number: int, cap: int = COUNT_CAP) -> int | str:
    """A capped count as people read it: the number itself, or "1000+" beyond the cap."""
    return f"{cap}+" if number > cap else number
