"""What ``zhuanlan init`` and ``zhuanlan run`` set up: the schema, the presets of the
real outlets, and the sample column fed from the bundled local sample site."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from zhuanlan.core import Zhuanlan
from zhuanlan.errors import NotFoundError
from zhuanlan.jobs.specs import display_url
from zhuanlan.sources.presets import load_presets
from zhuanlan.store.schema import columns, issues, sources

SAMPLE_PRESET = "sample"


def install_presets(zl: Zhuanlan) -> int:
    """Add every preset source not yet present. Returns how many were added."""
    added = 0
    known = {s["preset"] for s in zl.list_sources()}
    for p in load_presets():
        if p.id in known:
            continue
        params = p.spec.param_map() if p.spec else {}
        zl.add_source(p.name, display_url(p.url, params), kind=p.kind, preset=p.id,
                      authority=p.authority, enabled=p.enabled)
        added += 1
    return added


def install_sample(zl: Zhuanlan, feed_url: str, *, first_issue_in: timedelta | None = None) -> None:
    """Make sure the sample source and the sample column exist.

    The sample source's URL follows the sample site's port. While the sample column has no
    issue yet, its first run is set ``first_issue_in`` from now, so a fresh install shows
    a filled column within a minute instead of waiting for Monday 09:00.
    """
    from zhuanlan.sample import SAMPLE_COLUMN, SAMPLE_SOURCE_NAME

    with zl.db.write() as conn:
        existing = conn.execute(select(sources.c.id).where(sources.c.preset == SAMPLE_PRESET)).scalar()
        if existing is not None:
            conn.execute(update(sources).where(sources.c.id == existing).values(url=feed_url))
    if existing is None:
        zl.add_source(SAMPLE_SOURCE_NAME, feed_url, preset=SAMPLE_PRESET, authority=10,
                      poll_minutes=60)
    try:
        zl.get_column(SAMPLE_COLUMN["slug"])
    except NotFoundError:
        zl.add_column(SAMPLE_COLUMN["slug"], SAMPLE_COLUMN["name"],
                      include=SAMPLE_COLUMN["include"], exclude=SAMPLE_COLUMN["exclude"],
                      schedule=SAMPLE_COLUMN["schedule"], editor_note=SAMPLE_COLUMN["editor_note"],
                      description=SAMPLE_COLUMN["description"], auto_approve=True)
    if first_issue_in is not None:
        col = zl.get_column(SAMPLE_COLUMN["slug"])
        with zl.db.write() as conn:
            has_issue = conn.execute(select(issues.c.id).where(
                issues.c.column_id == col["id"]).limit(1)).scalar()
            if has_issue is None:
                conn.execute(update(columns).where(columns.c.id == col["id"]).values(
                    next_run_at=zl.clock() + first_issue_in))
