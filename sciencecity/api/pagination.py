"""Cursor pages: the next page starts after the last row seen, so no list ever counts its whole table."""

from rest_framework.pagination import CursorPagination


class CursorPage(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    # Views set `ordering` to an indexed, unique-ending order; this is the fallback.
    ordering = "-pk"
