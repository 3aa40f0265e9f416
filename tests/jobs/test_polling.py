from datetime import UTC, datetime, timedelta

from zhuanlan.jobs.polling import next_interval, parse_counts, push_count

T = datetime(2026, 11, 24, tzinfo=UTC)


def _every(minutes, n=10):
    return [T + timedelta(minutes=minutes * i) for i in range(n)]


def test_busy_source_is_polled_often_and_quiet_one_rarely():
    busy = quiet = 30
    for _ in range(10):
        busy = next_interval(busy, new_items=3, entry_times=_every(10), min_minutes=5,
                             max_minutes=1440)
        quiet = next_interval(quiet, new_items=0, entry_times=_every(24 * 60),
                              min_minutes=5, max_minutes=1440)
    assert busy <= 6
    assert 600 <= quiet <= 720


def test_without_dates_new_items_shorten_and_empty_polls_lengthen():
    assert next_interval(60, new_items=2, entry_times=[], min_minutes=5, max_minutes=1440) < 60
    assert next_interval(60, new_items=0, entry_times=[None], min_minutes=5,
                         max_minutes=1440) > 60
    assert next_interval(1440, new_items=0, entry_times=[], min_minutes=5,
                         max_minutes=1440) == 1440


def test_recent_counts_keep_the_last_ten():
    recent = ""
    for i in range(12):
        recent = push_count(recent, i)
    assert parse_counts(recent) == list(range(2, 12))


def test_implausible_publish_times_are_dropped_and_flagged():
    from zhuanlan.jobs.extraction import plausible_date
    from zhuanlan.model import Article

    def art(when):
        return Article(url="u", canonical_url="u", title="t", text="x", title_orig="t",
                       text_orig="x", content_hash="h", published=when)

    now = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    assert plausible_date(art(now - timedelta(days=3)), now).published == now - timedelta(days=3)
    future = plausible_date(art(now + timedelta(days=30)), now)
    assert future.published is None and "date_future" in future.flags
    old = plausible_date(art(datetime(1970, 1, 1, tzinfo=UTC)), now)
    assert old.published is None and "date_implausible" in old.flags
    assert plausible_date(art(None), now).published is None
