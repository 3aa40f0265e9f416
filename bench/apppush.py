"""App push benchmark: one issue to 50,000 people through the 企业微信, 钉钉 and 飞书 apps
(a third of the people on each), against the e-mail path in the same run.

    .venv/bin/python bench/apppush.py                  # 50,000 people
    .venv/bin/python bench/apppush.py --people 10000

The three platforms are the local imitation of the tests (``tests/support/appservers.py``)
in a process of its own, with its rate limits off ("unlimited"), as the issue asks; our
side's limiter is given no limit either, so the figure is what zhuanlan itself can do. At
the documented limits the platforms would set the pace instead: 钉钉 20 calls/s (100
people a call) and 飞书 50/s (200 a call) are far above what one worker needs, 企业微信
takes 1,000 people a call.

Measured: the real facade on a temporary SQLite database, a column with 8 approved items
and the three apps, ``publish_now`` (which puts every person on their app), then
``deliver_app_due`` until nothing is due. ``people_per_s`` = people ÷ seconds from the
first to the last accepted batch; ``publish_to_last_s`` includes publishing. The e-mail
path is ``bench/push.py``'s measured run on the same number of people (4 SMTP connections
to an aiosmtpd sink in its own process).

Ends with ``RESULT people_per_s=… publish_to_last_s=… email_people_per_s=…
people_per_cpu_s=…`` (the last: people per CPU second of the worker itself).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from _proc import cpu_s  # noqa: E402
from push import Sink, _child, _setup  # noqa: E402

PLATFORMS = ("wecom", "dingtalk", "feishu")
ID_FIELD = {"wecom": "wecom_userid", "dingtalk": "dingtalk_userid", "feishu": "feishu_open_id"}


def _user(platform: str, i: int) -> str:
    return {"wecom": f"wx{i:06d}", "dingtalk": f"dd{i:06d}", "feishu": f"ou_{i:06d}"}[platform]


# ------------------------------------------------------ the imitation (own process)

def _imitation_main(people: int, out, done) -> None:
    from tests.support.appservers import AppServers
    directory = {p: {_user(p, i) for i in range(people)} for p in PLATFORMS}
    with AppServers(unlimited=True, directory=directory) as servers:
        out.put({p: servers.config(p) for p in PLATFORMS})
        done.wait()
        out.put({p: len(servers.sent(p)) for p in PLATFORMS})


class Imitation:
    def __init__(self, people: int) -> None:
        self.people = people

    def __enter__(self) -> Imitation:
        ctx = multiprocessing.get_context("spawn")
        self.queue = ctx.Queue()
        self.done = ctx.Event()
        self.proc = ctx.Process(target=_imitation_main, args=(self.people, self.queue, self.done),
                                daemon=True)
        self.proc.start()
        self.configs = self.queue.get(timeout=60)
        return self

    def close(self) -> dict:
        self.done.set()
        return self.queue.get(timeout=30)

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.proc.join(timeout=10)
        if self.proc.is_alive():
            self.proc.terminate()


# ------------------------------------------------------------------- measured run

class _NoLimit:
    """A limiter that never waits: the imitation is unlimited, so is our side."""

    def acquire(self, key: str, *, max_wait: float = 60.0) -> float:
        return 0.0

    def try_acquire(self, key: str) -> float:
        return 0.0

    def delay(self, key: str) -> float:
        return 0.0

    def pause(self, key: str, seconds: float) -> None:
        pass


def run_apps(people: int, configs: dict) -> dict:
    from zhuanlan.jobs.app_delivery import deliver_app_due

    port = configs["wecom"]["api_base"].rsplit(":", 1)[1]

    def person(i: int) -> dict:
        return {ID_FIELD[p]: _user(p, i) if p == PLATFORMS[i % 3] else None for p in PLATFORMS}

    with tempfile.TemporaryDirectory() as d:
        zl = _setup(people, 0, Path(d), 1, person=person,
                    **{"fetch.allow_private": [f"127.0.0.1:{port}"]})
        for platform in PLATFORMS:
            zl.targets.add(f"{platform} 应用", f"{platform}_app", configs[platform],
                           columns_=["bench"])
        t_publish = time.perf_counter()
        cpu0 = cpu_s()
        issue_id = zl.publish_now("bench")
        t_deliver = time.perf_counter()
        while deliver_app_due(zl.ctx, zl.cfg["worker.batch"], limiter=_NoLimit()):
            pass
        t_last = time.perf_counter()
        cpu = cpu_s() - cpu0
        counts = zl.delivery_counts(issue_id)
        zl.close()
    assert counts == {"sent": people}, counts
    return {"people": people, "people_per_s": people / (t_last - t_deliver),
            "deliver_s": t_last - t_deliver, "publish_s": t_deliver - t_publish,
            "publish_to_last_s": t_last - t_publish, "cpu_ms_per_person": cpu * 1000 / people}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--people", type=int, default=50_000)
    args = p.parse_args()
    print(f"app push benchmark: {args.people} people over 企业微信 / 钉钉 / 飞书 (a third "
          f"each), the platforms' imitation in its own process, {os.cpu_count()} CPUs")
    with Imitation(args.people) as imitation:
        r = run_apps(args.people, imitation.configs)
        calls = imitation.close()
    print(f"apps       {r['people_per_s']:8.0f} people/s  publish {r['publish_s']:.2f} s, "
          f"publish→last {r['publish_to_last_s']:.2f} s, {r['cpu_ms_per_person']:.3f} ms CPU "
          f"per person; calls accepted: " + ", ".join(f"{k} {v}" for k, v in calls.items()))
    with Sink() as sink:
        email = _child(["--child", "push", "--n", str(args.people), "--port", str(sink.port),
                        "--connections", "4"])
    print(f"e-mail     {email['msgs_per_s']:8.0f} people/s  publish→last "
          f"{email['publish_to_last_s']:.2f} s (bench/push.py, 4 SMTP connections)")
    print(f"ratio      apps / e-mail = {r['people_per_s'] / email['msgs_per_s']:.1f}×")
    # Most of the elapsed time is the imitation answering (one Python HTTP server for
    # three platforms); our own CPU per person says what one worker could do.
    print(f"ours       {1000 / r['cpu_ms_per_person']:8.0f} people per CPU second of the "
          f"worker (the rest of the elapsed time is waiting for the platforms' answers)")
    print(f"RESULT people_per_s={r['people_per_s']:.0f} "
          f"publish_to_last_s={r['publish_to_last_s']:.2f} "
          f"email_people_per_s={email['msgs_per_s']:.0f} "
          f"people_per_cpu_s={1000 / r['cpu_ms_per_person']:.0f}")


if __name__ == "__main__":
    main()
