"""Running AsyncFetcher from plain (sync) pytest tests: one event loop per call.

No pytest-asyncio: ``run(server, scenario, **options)`` builds an AsyncFetcher allowed
to reach ``server`` (and quick by default: no per-host pause, tiny backoff, no
robots.txt unless asked), runs ``await scenario(fetcher)`` and closes it.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

from zhuanlan.fetch import AsyncFetcher

QUICK = {"per_host_delay": 0.0, "backoff_base": 0.01, "backoff_cap": 5.0,
         "respect_robots": False, "timeout": 5.0}


def options(server: Any = None, **overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = dict(QUICK, rng=random.Random(7))
    if server is not None:
        kwargs["allow_private"] = [f"127.0.0.1:{server.port}"]
    kwargs.update(overrides)
    return kwargs


def run(server: Any, scenario: Callable[[AsyncFetcher], Awaitable[Any]],
        **overrides: Any) -> Any:
    async def main() -> Any:
        async with AsyncFetcher(**options(server, **overrides)) as fetcher:
            return await scenario(fetcher)

    return asyncio.run(main())


def get(server: Any, url: str, **overrides: Any) -> Any:
    """``await fetcher.get(url)`` with a fresh fetcher; raises what it raises."""
    return run(server, lambda f: f.get(url), **overrides)
