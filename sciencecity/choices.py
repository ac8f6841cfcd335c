"""Choices read fast: the label of a stored choice, for the lists that show one on every row; the choices of
a form field over a short list.

Django's `get_FOO_display()` builds a dict of all the field's choices on every call, hashing (and so
translating) each lazy label: about 36 µs, and a list page calls it once or twice per row. The models whose
states the lists show define their `get_status_display()` with `label_of`, one enum lookup (about 4 µs) that
gives the same text.
"""

from django.forms.models import ModelChoiceIterator


def label_of(choices, value):
    """The label of `value` among `choices` (a TextChoices class) in the active language, as `get_FOO_display()`
    gives it; the value itself when it is not one of the choices."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


class ListedChoiceIterator(ModelChoiceIterator):
    """The choices of a ModelChoiceField over a short list (the bundles in force, an enterprise's projects),
    read with one plain SELECT. Django's iterator reads them through `QuerySet.iterator()`, which on
    PostgreSQL is a server-side cursor: DECLARE, FETCH and CLOSE, three round trips for a dozen rows."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)
