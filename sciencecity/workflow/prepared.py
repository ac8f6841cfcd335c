"""Hot statements compiled once per process, then run again with new values.

The approval engine's profile (issue 18, `bench/results/`) showed the ORM turning the same querysets into SQL
on every action — about a millisecond each, more than the database took to answer them. A `PreparedQuery` is
built once from an ordinary queryset (so the scope, the joins, the lock clause and the column list stay the
ORM's), compiled on first use, and then only executes: its named values (primary keys) are swapped into the
compiled parameters, and the rows become model instances exactly as Django's own iterator makes them
(`select_related` included, converters applied). `update_fields` is the same for `save(update_fields=…)`.

What is cached is SQL text and the compiler's column map, never rows: every call reads the database. The key
a caller gives must name everything the queryset depends on besides the named values (for a scoped queryset:
`accounts.scoping.scope_key(user)`), because the parameters those inputs produced are compiled in.
"""

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import signals
from django.db.models.query import get_related_populators

# Stand-ins for the named values while compiling: integers no primary key or parameter of ours takes.
_SENTINEL_BASE = -7_340_032_000
_CACHE_SIZE = 512


class PreparedQuery:
    """`build(*context, **names)` returns the queryset with each named value in place: `PreparedQuery(build,
    "pk")`, then `fetch(key, user, pk=42)` returns the model instances. `key` must distinguish every queryset
    that `build` makes differently from `context` (for a scope: the user's `scope_key`); `()` when `build`
    takes no context."""

    def __init__(self, build, *names: str):
        self.build = build
        self.names = names
        self._compiled: dict = {}

    def _compile(self, key, context, using):
        sentinels = {name: _SENTINEL_BASE - n for n, name in enumerate(self.names)}
        queryset = self.build(*context, **sentinels)
        compiler = queryset.query.get_compiler(using=using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # a scope that sees nothing: no statement to send
            sql, params = None, ()
        positions = {
            name: [i for i, p in enumerate(params) if p == value] for name, value in sentinels.items()
        }
        missing = [name for name, found in positions.items() if not found and sql is not None]
        if missing:
            raise ValueError(f"prepared query: {missing} not among the compiled parameters")
        if len(self._compiled) >= _CACHE_SIZE:
            self._compiled.clear()
        reader = _Reader(compiler, using) if sql is not None else None
        entry = (sql, tuple(params), positions, reader, queryset.query.select_for_update)
        self._compiled[(using, key)] = entry
        return entry

    def fetch(self, key=(), *context, using: str = "default", **values) -> list:
        try:
            sql, params, positions, reader, for_update = self._compiled[(using, key)]
        except KeyError:
            sql, params, positions, reader, for_update = self._compile(key, context, using)
        if sql is None:
            return []
        connection = connections[using]
        if for_update and connection.get_autocommit():
            # What the ORM checks when it compiles a locking query; the compiled statement must check it too.
            raise transaction.TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(params)
        for name, value in values.items():
            for index in positions[name]:
                params[index] = value
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return reader.instances(rows)


class _Reader:
    """Model instances from compiled rows, as `django.db.models.query.ModelIterable` makes them (related
    objects of `select_related`, annotations, the fields' converters), with what it works out per query —
    columns, converters, related populators — worked out once."""

    def __init__(self, compiler, using):
        select, klass_info = compiler.select, compiler.klass_info
        self.start, self.end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.attnames = [column[0].target.attname for column in select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, select, using)
        self.model = klass_info["model"]
        self.annotations = list(compiler.annotation_col_map.items())
        self.converters = compiler.get_converters([column[0] for column in select[: compiler.col_count]])
        self.compiler, self.using = compiler, using

    def instances(self, rows) -> list:
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        start, end, using, attnames = self.start, self.end, self.using, self.attnames
        objects = []
        for row in rows:
            obj = self.model.from_db(using, attnames, row[start:end])
            for populator in self.populators:
                populator.populate(row, obj)
            for name, position in self.annotations:
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects


_UPDATES: dict = {}


def _observed(model) -> bool:
    return signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model)


def update_fields(instance, fields, *, using: str = "default") -> None:
    """What `instance.save(update_fields=fields)` writes — `auto_now` stamped, values prepared by their
    fields — as one UPDATE by primary key whose SQL is made once per model and field list. For hot paths
    only: no model signals are sent (the platform connects none to the models that use it)."""
    model = type(instance)
    connection = connections[using]
    key = (using, model, tuple(fields))
    sql = _UPDATES.get(key)
    meta = model._meta
    model_fields = [meta.get_field(name) for name in fields]
    if any(hasattr(field, "get_placeholder") for field in model_fields) or _observed(model):
        instance.save(update_fields=fields, using=using)  # a field with its own placeholder, or receivers
        return
    if sql is None:
        quote = connection.ops.quote_name
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in model_fields)
        sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
        _UPDATES[key] = sql
    params = [
        field.get_db_prep_save(field.pre_save(instance, False), connection=connection)
        for field in model_fields
    ]
    params.append(meta.pk.get_db_prep_value(instance.pk, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    instance._state.adding = False
    instance._state.db = using


_INSERTS: dict = {}


def insert(instances, *, using: str = "default") -> list:
    """What `bulk_create(instances)` writes — defaults and `auto_now_add` stamped, values prepared by their
    fields, primary keys set on the instances — as one INSERT whose SQL is made once per model and row count.
    For the engine's append-only rows (audit events, notifications, queue rows). Like `save()`, it sends
    `pre_save` and `post_save` to a model that has receivers (django_tasks_db dates a queue row in one).
    Returns the instances."""
    instances = list(instances)
    if not instances:
        return instances
    model = type(instances[0])
    connection = connections[using]
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.generated]
    returning = connection.features.can_return_rows_from_bulk_insert
    # An auto primary key left empty is the database's to give; an explicit one (a UUID, say) is written.
    auto_pk = meta.pk.db_returning and all(instance.pk is None for instance in instances)
    if auto_pk:
        fields = [field for field in fields if field is not meta.pk]
    key = (using, model, len(instances), auto_pk)
    sql = _INSERTS.get(key)
    if any(hasattr(field, "get_placeholder") for field in fields) or (auto_pk and not returning):
        return model.objects.using(using).bulk_create(instances)
    if sql is None:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES " + ", ".join([row] * len(instances))
        if auto_pk:
            sql += f" RETURNING {quote(meta.pk.column)}"
        _INSERTS[key] = sql
    observed = _observed(model)
    if observed:
        for instance in instances:
            signals.pre_save.send(model, instance=instance, raw=False, using=using, update_fields=None)
    params = []
    for instance in instances:
        for field in fields:
            params.append(field.get_db_prep_save(field.pre_save(instance, True), connection=connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if auto_pk:
            # PostgreSQL and SQLite return the rows of a multi-row INSERT in the order of its VALUES.
            for instance, (pk,) in zip(instances, cursor.fetchall(), strict=True):
                instance.pk = pk
    for instance in instances:
        instance._state.adding = False
        instance._state.db = using
        if observed:
            signals.post_save.send(
                model, instance=instance, created=True, update_fields=None, raw=False, using=using
            )
    return instances


def update_rows(instances, fields, *, using: str = "default") -> None:
    """`bulk_update(instances, fields)` in one UPDATE whose SQL is made once per shape: a field whose prepared
    value is the same for every row is set once, the others by a CASE on the primary key. (The engine starts
    several tasks at once; Django's `bulk_update` compiled its CASE expressions anew each time.) As with
    `bulk_update`, the attributes are written as they are: `auto_now` is the caller's to stamp."""
    instances = list(instances)
    if not instances:
        return
    model = type(instances[0])
    connection = connections[using]
    meta = model._meta
    model_fields = [meta.get_field(name) for name in fields]
    if any(hasattr(field, "get_placeholder") for field in model_fields):
        model.objects.using(using).bulk_update(instances, fields)  # (bulk_update sends no signals either)
        return
    pks = [meta.pk.get_db_prep_value(instance.pk, connection) for instance in instances]
    values = [
        [
            field.get_db_prep_save(getattr(instance, field.attname), connection=connection)
            for instance in instances
        ]
        for field in model_fields
    ]
    shared = tuple(all(value == column[0] for value in column) for column in values)
    key = (using, model, tuple(fields), len(instances), shared)
    sql = _UPDATES.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        pk_column = quote(meta.pk.column)
        cast = connection.features.requires_casted_case_in_updates
        assignments = []
        for field, same in zip(model_fields, shared, strict=True):
            if same:
                assignments.append(f"{quote(field.column)} = %s")
                continue
            value = f"CAST(%s AS {field.cast_db_type(connection)})" if cast else "%s"
            cases = " ".join([f"WHEN {pk_column} = %s THEN {value}"] * len(instances))
            assignments.append(f"{quote(field.column)} = CASE {cases} END")
        placeholders = ", ".join(["%s"] * len(instances))
        sql = f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} WHERE {pk_column} IN ({placeholders})"
        _UPDATES[key] = sql
    params = []
    for column, same in zip(values, shared, strict=True):
        if same:
            params.append(column[0])
        else:
            for pk, value in zip(pks, column, strict=True):
                params += [pk, value]
    params += pks
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
