"""What ``zhuanlan init`` and ``zhuanlan run`` set up: the presets of the real outlets,
and the sample column fed from the bundled local sample site."""

from __future__ import annotations

from datetime import timedelta

from zhuanlan.app.columns import Columns
from zhuanlan.app.sources import Sources
from zhuanlan.errors import NotFoundError
from zhuanlan.jobs.specs import display_url
from zhuanlan.sources.presets import load_presets
from zhuanlan.store import columns as column_store
from zhuanlan.store import sources as source_store

SAMPLE_PRESET = "sample"


def install_presets(sources: Sources) -> int:
    """Add every preset source not yet present. Returns how many were added."""
    added = 0
    known = sources.known_presets()
    for p in load_presets():
        if p.id in known:
            continue
        params = p.spec.param_map() if p.spec else {}
        sources.add(p.name, display_url(p.url, params), kind=p.kind, preset=p.id,
                    authority=p.authority, enabled=p.enabled)
        added += 1
    return added


def install_sample(sources: Sources, columns: Columns, feed_url: str, *,
                   first_issue_in: timedelta | None = None) -> None:
    """Make sure the sample source and the sample column exist.

    The sample source's URL follows the sample site's port. While the sample column has no
    issue yet, its first run is set ``first_issue_in`` from now, so a fresh install shows
    a filled column within a minute instead of waiting for Monday 09:00.
    """
    from zhuanlan.sample import SAMPLE_COLUMN, SAMPLE_SOURCE_NAME

    ctx = sources.ctx
    with ctx.db.write() as conn:
        existing = source_store.source_id_by_preset(conn, SAMPLE_PRESET)
        if existing is not None:
            source_store.update_source(conn, existing, url=feed_url)
    if existing is None:
        sources.add(SAMPLE_SOURCE_NAME, feed_url, preset=SAMPLE_PRESET, authority=10,
                    poll_minutes=60)
    try:
        columns.get(SAMPLE_COLUMN["slug"])
    except NotFoundError:
        columns.add(SAMPLE_COLUMN["slug"], SAMPLE_COLUMN["name"],
                    include=SAMPLE_COLUMN["include"], exclude=SAMPLE_COLUMN["exclude"],
                    schedule=SAMPLE_COLUMN["schedule"], editor_note=SAMPLE_COLUMN["editor_note"],
                    description=SAMPLE_COLUMN["description"], auto_approve=True)
    if first_issue_in is not None:
        col = columns.get(SAMPLE_COLUMN["slug"])
        with ctx.db.write() as conn:
            if not column_store.issue_rows(conn, col["id"]):
                column_store.update_column(conn, col["id"],
                                           next_run_at=ctx.clock() + first_issue_in)
