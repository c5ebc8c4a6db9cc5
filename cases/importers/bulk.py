"""Fast inserts for large imports: COPY on PostgreSQL, bulk_create() elsewhere.

A 20,000-row file means about 100,000 rows to insert (cases, their media, beats and
perpetrators, identifiers, history). bulk_create() spends most of that time building and
parsing one huge SQL string in Python; COPY streams the rows instead, roughly ten times faster.
Triggers (the search vector) fire with COPY as with INSERT.
"""

from django.db import connection

BATCH = 1000


def insert(model, objects: list, *, with_ids: bool = False):
    """Insert unsaved instances; with_ids=True gives each its primary key (as bulk_create does)."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=BATCH)
        return
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if with_ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(objects)],
            )
            for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
                obj.pk = pk
            fields = [meta.pk, *fields]
        columns = ", ".join(quote(field.column) for field in fields)
        statement = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(statement) as copy:
            for obj in objects:
                copy.write_row(
                    [
                        field.get_db_prep_save(field.pre_save(obj, True), connection)
                        for field in fields
                    ]
                )
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias


def insert_pairs(model, columns: tuple[str, str], pairs: list[tuple[int, int]]):
    """Insert rows of two integer columns (a many-to-many link table) without model instances.

    Building 100,000 link instances only to read two ids back cost more than the COPY itself.
    """
    if not pairs:
        return
    if connection.vendor != "postgresql":
        first, second = columns
        model.objects.bulk_create(
            [model(**{first: a, second: b}) for a, b in pairs], batch_size=BATCH
        )
        return
    quote = connection.ops.quote_name
    statement = (
        f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for pair in pairs:
            copy.write_row(pair)
