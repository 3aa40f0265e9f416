"""People: the employees issues are pushed to, the department tree they sit in, their
import from and export to HR spreadsheets, and their subscriptions.

``departments``, ``importing`` and ``export`` are pure (no store, no web);
``directory`` is the facade part over the store (``zl.people``).
"""
