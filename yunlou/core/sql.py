"""Hand-written SQL for the few hot paths that leave the ORM (a buyer's tap, a broker's report): a cursor whose
statements PostgreSQL prepares once per connection, and the conversions raw rows need."""

import datetime
from functools import lru_cache

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.utils.dateparse import parse_datetime


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


_ONLY_WHEN_ASKED = 2**31 - 1


class _PreparingCursor(psycopg.Cursor):
    """Server-side binding, and every statement prepared (planned once per connection)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def prepared_cursor():
    """A cursor whose statement PostgreSQL plans once per connection: planning the tap's read took four times as
    long as running it (1.2 ms against 0.3 ms). Django binds parameters on the client and turns prepared
    statements off (for transaction-pooling proxies: behind PgBouncer, 1.21 or later with max_prepared_statements
    set keeps them working). Wrapped as Django wraps its own cursors, so errors are Django's and tests see the
    statement."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    # None (Django's setting) turns preparing off altogether; Django's own client-binding cursors never prepare,
    # so only statements run with prepare=True — these — are prepared.
    connection.connection.prepare_threshold = _ONLY_WHEN_ASKED
    raw = _PreparingCursor(connection.connection)
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)


def moment_param(value: datetime.datetime):
    """An aware datetime as the database takes it in a raw statement (SQLite: naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def moment(value) -> datetime.datetime | None:
    """A timestamp as the ORM gives it: aware. SQLite hands raw statements naive datetimes (or text) in UTC."""
    if value is None:
        return None
    if not isinstance(value, datetime.datetime):
        value = parse_datetime(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)


# Fields whose value PostgreSQL takes as the instance holds it: for these, the ORM's pre_save and
# get_db_prep_save return the attribute unchanged (psycopg adapts str, int, bool and aware datetimes itself).
# Exact classes only: a subclass (an encrypted text field, say) may change the value on the way.
_AS_HELD = frozenset({models.CharField, models.TextField, models.BooleanField, models.IntegerField,
                      models.SmallIntegerField, models.BigIntegerField, models.PositiveIntegerField,
                      models.PositiveSmallIntegerField, models.PositiveBigIntegerField, models.ForeignKey})


def _held_as_is(field: models.Field, vendor: str) -> bool:
    if vendor != "postgresql":
        return False
    if type(field) is models.DateTimeField:
        return not (field.auto_now or field.auto_now_add)
    return type(field) in _AS_HELD


@lru_cache(maxsize=32)
def _new_row_shape(model, vendor: str) -> tuple[tuple, tuple[str, ...], tuple[bool, ...]]:
    fields = tuple(field for field in model._meta.concrete_fields if not field.primary_key)
    return (fields, tuple(connection.ops.quote_name(field.column) for field in fields),
            tuple(_held_as_is(field, vendor) for field in fields))


def insert_columns(instance) -> tuple[tuple[str, ...], list]:
    """The columns and parameters the ORM's INSERT of a new `instance` (its id from the database) would send —
    defaults, auto fields, encryption and adaptation applied by each field, as `Model.save` does — for writing
    it inside a larger statement. Plain columns are read straight off the instance (a report's 40 columns through
    each field's machinery were a sixth of its Python time in bench/referral.py)."""
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself: each attribute of the proxy is a lookup
    fields, columns, held = _new_row_shape(type(instance), db.vendor)
    values = instance.__dict__
    return columns, [values[field.attname] if as_is else field.get_db_prep_save(field.pre_save(instance, True), db)
                     for field, as_is in zip(fields, held, strict=True)]


_CALLED = object()


@lru_cache(maxsize=32)
def _instance_shape(model) -> tuple[tuple[tuple[str, models.Field, object], ...], dict[str, str]]:
    """Per concrete field, its attribute, the field and its default (`_CALLED` for a callable one, made afresh
    per instance); and each relation's name → its id attribute."""
    defaults = tuple((field.attname, field, _CALLED if callable(field.default) else field.get_default())
                     for field in model._meta.concrete_fields)
    relations = {field.name: field.attname for field in model._meta.concrete_fields if field.is_relation}
    return defaults, relations


def instance_new(model, /, **values):
    """A new, unsaved `model` instance: `values` by attribute (`project_id=…`) or by relation (`project=…`,
    cached as `Model(project=…)` would), every other field its default. Built the way the ORM builds a row it
    has read, positionally: `Model(**kwargs)` resolves each keyword, relation and default on the way, and for a
    report and its audit row that was a fifth of the report's Python time (bench/referral.py)."""
    defaults, relations = _instance_shape(model)
    related = {}
    for name in [name for name in values if name in relations]:
        related[name] = values.pop(name)
        values[relations[name]] = None if related[name] is None else related[name].pk
    args = [values.pop(attname) if attname in values else field.get_default() if default is _CALLED else default
            for attname, field, default in defaults]
    if values:
        raise TypeError(f"{model.__name__} has no field {next(iter(values))!r}")
    instance = model(*args)
    instance._state.fields_cache.update(related)
    return instance


def instance_read(model, /, **values):
    """An instance of a row read by hand: `values` by attribute, the model's other columns deferred (loaded if
    asked for, as after `.only()`)."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    if len(names) != len(values):
        raise TypeError(f"{model.__name__} has no field {next(iter(set(values) - set(names)))!r}")
    return model.from_db(DEFAULT_DB_ALIAS, names, [values[name] for name in names])
