"""Alembic environment: runs on the connection that ``zhuanlan.store.migrate`` passes."""

from alembic import context

from zhuanlan.store.schema import metadata
from zhuanlan.store.search import include_object

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from zhuanlan.store.db import make_engine

        url = config.get_main_option("sqlalchemy.url")
        assert url, "alembic: no sqlalchemy.url"
        engine = make_engine(url)
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=True,
        compare_type=True,
        # The search index (FTS5 / tsvector, migration 0009) is not in schema.py.
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
