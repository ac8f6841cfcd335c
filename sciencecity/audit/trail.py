"""The audit trail of any audited object as people read it: who did what and when, and each change as
"what: before → after" in words instead of the codes and ids the services recorded.

`TrailReader().describe(events)` reads a recorded key by the target model's own field metadata:

- a key that is a field (or a foreign key's attname) is named by the field's verbose name, in the current
  language; a choice is shown by its label, a foreign key (or many-to-many) by its row's `str()`, a date as
  2026-06-01 and a time in the current time zone, a boolean as 是 / 否;
- a key that is no field, and has no formatter, is shown as it was recorded: its code and its raw value;
- where the metadata is not enough (a code recorded for a foreign key, an internal id, a structure), the app
  that owns the model registers a `Formatter` for the key in its `AppConfig.ready` (`register`), and may say
  which related rows its `str()` needs (`register_rows`): the audit app imports no domain app.

The rows named are read for all the events at once: one query per related model, however many events there
are. An app whose trail needs more (approvals' codes within a catalog version) subclasses `TrailReader`.

`events_of(user, *targets)` are the events of objects the caller has already fetched in the user's scope,
oldest first, as the user may read them (`AuditEvent.objects.for_user`); `trail(user, *targets)` reads them.
"""

import datetime
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext

from . import labels
from .models import AuditEvent

EMPTY = (None, "", [], {})
TEXT_LIMIT = 300  # a longer text is cut, with "…"


# --- what a page shows ----------------------------------------------------------------------------------------


@dataclass
class Value:
    text: str
    data: bool = False  # data people entered (names, notes, numbers): marked so, shown as recorded


@dataclass
class Change:
    label: str  # the key's name, or "" when the key has none (its code is shown in `key`)
    key: str
    before: list[Value] | None  # None when the value was only recorded after the action
    after: list[Value]


def dash() -> list[Value]:
    return [Value("—")]


def clipped(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 3] + "…"


def as_values(result) -> list[Value]:
    """A formatter's answer as a list of `Value`: it may return a text, a `Value` or a list of them."""
    if isinstance(result, Value):
        return [result]
    if isinstance(result, list | tuple):
        return [item if isinstance(item, Value) else Value(str(item), True) for item in result] or dash()
    return [Value(str(result), True)]


# --- what the apps register -----------------------------------------------------------------------------------


Refs = Callable[[object], Iterable[tuple[type[models.Model], object]]]


@dataclass(frozen=True)
class Formatter:
    """How one recorded key of a model is read where the field's metadata is not enough.

    `read(value, reader)` answers a text, a `Value` or a list of `Value` (a text is data, shown as recorded;
    return `Value(text)` for words of the platform); `None` for `read` leaves the key out (internal ids,
    file hashes: in the technical details only). `label` names the key (None: the field's verbose name, or
    the key's code for a key that is no field). `refs(value)` lists the `(model, pk)` rows that `read` names
    through `reader.row(model, pk)`: they are read for all events at once.
    """

    read: Callable | None
    label: object = None
    refs: Refs | None = None


HIDDEN = Formatter(read=None)

_formatters: dict[tuple[type[models.Model], str], Formatter] = {}
_rows: dict[type[models.Model], tuple[str, ...]] = {}


def register(model: type[models.Model], key: str, formatter: Formatter) -> Formatter:
    """Read the recorded `key` of events on `model` with `formatter` (in the owning app's `ready`)."""
    _formatters[(model, key)] = formatter
    return formatter


def register_rows(model: type[models.Model], *select_related: str) -> None:
    """The relations that `str()` of `model`'s rows reads, joined when the trail names them."""
    _rows[model] = select_related


def formatter_for(model, key: str) -> Formatter | None:
    if model is None:
        return None
    return _formatters.get((model, key)) or _formatters.get((model._meta.concrete_model, key))


def field_of(model, key: str):
    """The concrete field of `model` recorded as `key` (its name or attname), or None."""
    if model is None or not key:
        return None
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:  # a key recorded beside the fields
        return None
    # Not a reverse relation (no `models.Field`), which a snapshot never records.
    return field if isinstance(field, models.Field) and (field.concrete or field.many_to_many) else None


# --- how a key is read ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    label: str  # "" when the key has no name: its code is shown instead
    read: Callable[[object], list[Value]] | None  # None: the key is left out
    refs: Refs | None = None  # the rows to read at once before reading
    entries: bool = False  # a dict on both sides: only the entries that changed are read


def _pks(value) -> list:
    return list(value) if isinstance(value, list | tuple) else [value]


def _key_of(model, value):
    """`value` as a primary key of `model`, or None when it cannot be one (a code recorded for a key)."""
    if isinstance(value, bool | dict | list | float):
        return None
    try:
        return model._meta.pk.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return None


class TrailReader:
    """Reads audit events of any models. `describe(events)` sets on each event `label` (the action's name),
    `object_label` and `object_is_data` (what it acted on), `changes` (a list of `Change`) and
    `raw_before` / `raw_after` (the data as recorded, as JSON)."""

    def __init__(self):
        self.rows: dict[type[models.Model], dict] = defaultdict(dict)

    # -- the rows named, read at once ----------------------------------------------------------------------

    def row(self, model, pk):
        """The row of `model` with `pk` read by `load`, or None (deleted since, or not a key)."""
        return self.rows[model].get(_key_of(model, pk))

    def load(self, events) -> None:
        """Read the rows that the events' values name, one query per model."""
        wanted: dict[type[models.Model], set] = defaultdict(set)
        for event in events:
            for key, value in pairs(event):
                reading = self.key_reading(event, key)
                if reading.refs is not None and value not in EMPTY:
                    for related, pk in reading.refs(value):
                        if (pk := _key_of(related, pk)) is not None and pk not in self.rows[related]:
                            wanted[related].add(pk)
        for related, pks in wanted.items():
            rows = related._base_manager.filter(pk__in=pks)
            if select := _rows.get(related):
                rows = rows.select_related(*select)
            self.rows[related].update({row.pk: row for row in rows})

    # -- reading a key -------------------------------------------------------------------------------------

    def key_reading(self, event, key: str) -> Reading:
        """How the recorded `key` of `event` is read: by its target's model (`reading`), unless a subclass
        reads some actions' data otherwise."""
        return self.reading(model_of(event), key)

    def reading(self, model, key: str) -> Reading:
        """How the recorded `key` of an event on `model` is named and read."""
        field = field_of(model, key)
        formatter = formatter_for(model, key)
        if formatter is not None:
            if formatter.read is None:
                return Reading("", None)
            if formatter.label is not None:
                label = str(formatter.label)
            else:
                label = str(field.verbose_name) if field is not None else ""

            def read(value, formatter=formatter):
                return as_values(formatter.read(value, self))

            return Reading(label, read, formatter.refs)
        if field is None:
            return Reading("", self.read_raw)
        return self.field_reading(field)

    def field_reading(self, field) -> Reading:
        label = str(field.verbose_name)
        if field.choices:
            return Reading(label, self.choice_reader(field.flatchoices))
        if field.many_to_many or field.is_relation:
            related = field.related_model

            def refs(value, related=related):
                return [(related, pk) for pk in _pks(value)]

            def read(value, related=related):
                return [Value(self.name(related, pk), True) for pk in _pks(value)] or dash()

            return Reading(label, read, refs)
        if isinstance(field, models.DateTimeField):
            return Reading(label, self.read_datetime)
        if isinstance(field, models.DateField):
            return Reading(label, self.read_date)
        if isinstance(field, models.BooleanField):
            return Reading(label, self.read_bool)
        if isinstance(field, models.IntegerField | models.DecimalField | models.FloatField):
            return Reading(label, self.read_number)
        if isinstance(field, models.JSONField):
            return Reading(label, self.read_raw)
        return Reading(label, self.read_text)

    # -- reading values ------------------------------------------------------------------------------------

    def name(self, model, pk) -> str:
        """A row by its `str()`, or "#pk" for one not found."""
        row = self.row(model, pk)
        return str(row) if row is not None else f"#{pk}"

    @staticmethod
    def choice_reader(choices) -> Callable[[object], list[Value]]:
        names = {str(key): label for key, label in choices}

        def read(value):
            return [Value(str(names[str(value)]))] if str(value) in names else [Value(str(value), True)]

        return read

    @staticmethod
    def read_text(value) -> list[Value]:
        return [Value(clipped(str(value)), True)]

    @staticmethod
    def read_raw(value) -> list[Value]:
        """A value as recorded: a text as it is, a structure as JSON."""
        if isinstance(value, list | dict):
            text = json.dumps(value, ensure_ascii=False, sort_keys=True, cls=DjangoJSONEncoder)
        else:
            text = str(value)
        return [Value(clipped(text), True)]

    @staticmethod
    def read_number(value) -> list[Value]:
        return [Value(str(value))]

    @staticmethod
    def read_bool(value) -> list[Value]:
        return [Value(gettext("是") if value else gettext("否"))]

    @staticmethod
    def read_date(value) -> list[Value]:
        day = value if isinstance(value, datetime.date) else parse_date(str(value))
        return [Value(day.isoformat() if day else str(value))]

    @staticmethod
    def read_datetime(value) -> list[Value]:
        """A time in the current time zone."""
        try:
            moment = value if isinstance(value, datetime.datetime) else parse_datetime(str(value))
        except ValueError:
            moment = None
        if moment is None:
            return [Value(str(value))]
        if settings.USE_TZ and timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return [Value(formats.date_format(moment, "Y-m-d H:i"))]

    # -- one event -------------------------------------------------------------------------------------------

    def object_label(self, event) -> tuple[str, bool]:
        """What the event acted on; (text, whether it is data shown as recorded)."""
        return event.target_repr, True

    def changes(self, event) -> list[Change]:
        """What changed, in words: "before → after" for what both sides recorded and differ, the value for what
        only the after side recorded (empty values left out), "before → —" for what only the before side did;
        keys left out by their reading skipped."""
        before, after = _as_dict(event.before), _as_dict(event.after)
        changes = []
        for key in dict.fromkeys([*before, *after]):
            reading = self.key_reading(event, key)
            if reading.read is None:
                continue
            change = Change(reading.label, "" if reading.label else key, None, [])
            if key in before and key in after:
                old, new = before[key], after[key]
                if old == new:
                    continue
                if reading.entries and isinstance(old, dict) and isinstance(new, dict):
                    change.after = reading.read(
                        {code: value for code, value in new.items() if old.get(code) != value}
                    )
                else:
                    change.before, change.after = _read(reading, old), _read(reading, new)
            elif key in after:
                if after[key] in EMPTY:
                    continue
                change.after = _read(reading, after[key])
            else:
                change.before, change.after = _read(reading, before[key]), dash()
            changes.append(change)
        return changes

    def describe(self, events) -> list:
        events = list(events)
        self.load(events)
        for event in events:
            event.label = labels.action_display(event.action)
            event.object_label, event.object_is_data = self.object_label(event)
            event.changes = self.changes(event)
            event.raw_before = raw(event.before)
            event.raw_after = raw(event.after)
        return events


# --- the events of objects ------------------------------------------------------------------------------------


def _targets(targets) -> Q:
    """Objects as a filter on the events' targets: model instances, or (model or content type, pk or pks)."""
    by_type: dict[int, set[str]] = defaultdict(set)
    for target in targets:
        if isinstance(target, models.Model):
            kind, pks = ContentType.objects.get_for_model(target), [target.pk]
        else:
            kind, pks = target
            if not isinstance(kind, ContentType):
                kind = ContentType.objects.get_for_model(kind)
            pks = _pks(pks) if not isinstance(pks, set | frozenset) else list(pks)
        by_type[kind.pk].update(str(pk) for pk in pks if pk is not None)
    scope = Q(pk__in=[])
    for kind, pks in by_type.items():
        if pks:
            scope |= Q(target_type_id=kind, target_id__in=sorted(pks))
    return scope


def events_of(user, *targets):
    """The audit events of `targets`, oldest first, as `user` may read them.

    Each target is a model instance, or `(model or content type, pk or list of pks)`. The caller passes
    objects it has already fetched in the user's scope (`Model.objects.for_user(user)`): this function does
    not know every model's scope, and the events of an object are no business of a user who may not see it.
    """
    return (
        AuditEvent.objects.for_user(user)
        .filter(_targets(targets))
        .select_related("actor", "target_type")
        .order_by("created_at", "id")
    )


def trail(user, *targets, reader: TrailReader | None = None) -> list:
    """The events of `targets` (see `events_of`) read by `reader` (a `TrailReader` by default)."""
    return (reader or TrailReader()).describe(events_of(user, *targets))


# --- helpers --------------------------------------------------------------------------------------------------


def pairs(event):
    for side in (event.before, event.after):
        if isinstance(side, dict):
            yield from side.items()


def _read(reading: Reading, value) -> list[Value]:
    return dash() if value in EMPTY else reading.read(value)


def _as_dict(data) -> dict:
    if isinstance(data, dict):
        return data
    return {} if data is None else {"": data}


def model_of(event):
    """The model of the event's target, from the content types' cache (no query per event)."""
    if not event.target_type_id:
        return None
    return ContentType.objects.get_for_id(event.target_type_id).model_class()


def raw(data) -> str:
    """The data as recorded, as JSON, for the technical details."""
    if data is None:
        return ""
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True, cls=DjangoJSONEncoder)
