"""Database helpers shared by the apps."""

from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction


@contextmanager
def read_snapshot(using=DEFAULT_DB_ALIAS):
    """Run the reads inside as of one moment, for a report whose figures must agree with
    each other while others write (a count and the sums it is the count of).

    On PostgreSQL, a read-only REPEATABLE READ transaction: every query sees the data as
    the first one did. On SQLite, a transaction: its reads see one state of the file (WAL
    keeps a snapshot; without WAL its shared lock holds writers off until it ends). Inside a
    transaction already begun, the reads join it and see what it sees, as any other query
    there would."""
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield
