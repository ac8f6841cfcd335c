"""Filters the resources share."""

from django import forms
from django_filters import rest_framework as filters

# The largest id any database column here holds (a signed 64-bit integer).
MAX_ID = 2**63 - 1


class IdFilter(filters.NumberFilter):
    """An id in the query string: a whole number a database column can hold, else a 400 with the field.
    (`NumberFilter` takes decimals such as 9.2e18 and numbers beyond 64 bits, which reach the database and
    fail there as a server error.)"""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
