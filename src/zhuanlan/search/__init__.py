"""Searching the articles: the query language, what is indexed, and snippets (pure).
The SQL of both databases is ``store.search``."""
