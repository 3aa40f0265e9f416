"""The store: schema, transactions, claims and migrations. Only the facade and the
worker use it; stages never do."""

from zhuanlan.store.db import Database

__all__ = ["Database"]
