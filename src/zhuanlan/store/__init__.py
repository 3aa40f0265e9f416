"""The store: schema, transactions, claims, migrations, and the queries, one module per
aggregate. The only package that speaks SQL; the jobs and the facade's parts call its
functions with the ``Connection`` of a ``Database.read()`` / ``write()`` transaction.
Stages never use it."""

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError as DatabaseError

from zhuanlan.store.db import UNAVAILABLE, Database

__all__ = ["Connection", "Database", "DatabaseError", "UNAVAILABLE"]
