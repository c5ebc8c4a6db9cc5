"""A one-row read, and a one-row INSERT, whose SQL is compiled once per process.

Django builds and compiles a queryset to SQL each time it is evaluated. For most reads that
cost is lost among the rest; for the sign POST's read of its campaign (and organisation) it
was most of the read: about 1.3 of 1.6 ms of CPU, more than the query itself. A PreparedGet
keeps the SQL of `queryset.filter(<field>=<value>)` per database, runs it with the new value,
and builds the instances as Django does (`Model.from_db`, with the backend's and the fields'
converters), the select_related parent set through its public descriptor.

It reads whole rows only: a queryset with deferred fields, annotations or extra columns is
refused at the first call (the row's width would not match the models' fields).
"""

from collections.abc import Callable

from django.db import connections
from django.db.models import Model, QuerySet, signals

# Stand for the value in the compiled SQL's parameters (one per kind of field); never real.
_TEXT_PLACEHOLDER = "\x1fidei-prepared-get\x1f"
_NUMBER_PLACEHOLDER = -7_318_406_524_291_837


class PreparedGet:
    """`queryset().get(<lookup>=value)`, with the SQL compiled once per database.

    `queryset` makes the queryset (filters, `select_related` of `related`: one level of
    forward foreign keys); `lookup` is the field (or lookup) the value is matched on.
    """

    def __init__(
        self, queryset: Callable[[], QuerySet], lookup: str, related: tuple[str, ...] = ()
    ):
        self.queryset = queryset
        self.lookup = lookup
        self.related = related
        self._compiled: dict[str, tuple] = {}

    def _compile(self, alias: str) -> tuple:
        queryset = self.queryset().using(alias)
        name = self.lookup.split("__")[0]
        field = queryset.model._meta.pk if name == "pk" else queryset.model._meta.get_field(name)
        numeric = field.get_internal_type().endswith(("IntegerField", "AutoField"))
        placeholder = _NUMBER_PLACEHOLDER if numeric else _TEXT_PLACEHOLDER
        queryset = queryset.filter(**{self.lookup: placeholder})
        sql, params = queryset.query.sql_with_params()
        slots = [n for n, param in enumerate(params) if param == placeholder]
        if len(slots) != 1:
            raise ValueError(f"PreparedGet: the lookup {self.lookup!r} must take one parameter")
        model = queryset.model
        parts = [(None, model)] + [
            (name, model._meta.get_field(name).related_model) for name in self.related
        ]
        connection = connections[alias]
        layout = []
        for name, part_model in parts:
            fields = part_model._meta.concrete_fields
            converters = []
            for field in fields:
                column = field.get_col(part_model._meta.db_table)
                found = connection.ops.get_db_converters(column) + field.get_db_converters(
                    connection
                )
                converters.append((column, found))
            layout.append((name, part_model, [field.attname for field in fields], converters))
        return sql, list(params), slots[0], layout

    def get(self, value, using: str = "default") -> Model:
        """The one row matching `value`; the model's DoesNotExist if there is none."""
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        sql, params, slot, layout = compiled
        params = params.copy()
        params[slot] = value
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchmany(2)
        model = layout[0][1]
        if not rows:
            raise model.DoesNotExist(f"{model.__name__} matching {self.lookup}={value!r}")
        if len(rows) > 1:
            raise model.MultipleObjectsReturned(f"{self.lookup}={value!r} matches several")
        row = rows[0]
        width = sum(len(names) for _, _, names, _ in layout)
        if len(row) != width:
            raise ValueError("PreparedGet reads whole rows: the queryset selects other columns")
        instances = []
        start = 0
        for _, part_model, names, converters in layout:
            values = list(row[start : start + len(names)])
            start += len(names)
            for n, (column, found) in enumerate(converters):
                for convert in found:
                    values[n] = convert(values[n], column, connection)
            # A nullable parent that is not there comes back as a row of NULLs.
            missing = values[names.index(part_model._meta.pk.attname)] is None
            instances.append(None if missing else part_model.from_db(using, names, values))
        main = instances[0]
        for (name, _, _, _), instance in zip(layout[1:], instances[1:], strict=True):
            setattr(main, name, instance)
        return main


class PreparedInsert:
    """`model.objects.create(**values)`, with the INSERT's SQL compiled once per database.

    Django compiles an INSERT on every save; for the sign POST's one INSERT that was a third of
    the statement's CPU. The values are prepared as Django prepares them (`pre_save`, then
    `get_db_prep_save`, as the bulk importer's COPY does). Save signals would be skipped, so
    while the model has any receiver of pre_save or post_save, create() is Django's own.
    """

    def __init__(self, model: type[Model]):
        self.model = model
        self._compiled: dict[str, tuple] = {}

    def _compile(self, alias: str) -> tuple:
        connection = connections[alias]
        meta = self.model._meta
        fields = [
            field
            for field in meta.concrete_fields
            if not (field.primary_key and field.db_returning) and not field.generated
        ]
        quote = connection.ops.quote_name
        sql = (
            f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608 (names from the model)
            f"({', '.join(quote(field.column) for field in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        returning = connection.features.can_return_columns_from_insert
        if returning:
            sql += f" RETURNING {quote(meta.db_table)}.{quote(meta.pk.column)}"
        return sql, fields, returning

    def create(self, using: str = "default", **values) -> Model:
        if signals.pre_save.has_listeners(self.model) or signals.post_save.has_listeners(
            self.model
        ):
            return self.model._default_manager.using(using).create(**values)
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        sql, fields, returning = compiled
        connection = connections[using]
        instance = self.model(**values)
        params = [
            field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            instance.pk = cursor.fetchone()[0] if returning else cursor.lastrowid
        instance._state.adding = False
        instance._state.db = using
        return instance
