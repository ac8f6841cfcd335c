"""Filters the resources share."""

import datetime

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


class YearFilter(IdFilter):
    """A year in the query string (a date field's `year` lookup): a whole number `datetime.date` takes, else a
    400 with the field (the lookup builds dates from it: year 0 or 2**31 fails there as a server error)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", datetime.MINYEAR)
        kwargs.setdefault("max_value", datetime.MAXYEAR)
        super().__init__(*args, **kwargs)
