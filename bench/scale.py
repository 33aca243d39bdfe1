"""Scale benchmark: the atlas with many synthetic points (its memory: bench/memory.py).

    uv run python bench/scale.py                         # 100,000 and 1,000,000 points
    uv run python bench/scale.py --points 100000 --changes 6

Per point count (ATLAS_SYNTHETIC_POINTS=N, app.py as scripts/run.sh serves it; the map opened
on central Mexico at zoom 8, where the points show):

- first paint: server start -> `/_stcore/health` -> 32 states painted -> project points drawn
  (the runtime's `atlas.stats.project.doneAt`), cold (the server's first session loads and
  publishes the data) and warm (a new browser context on the running server);
- filter change (sector ALL <-> one sector, via the sidebar's multiselect): pointerdown -> the
  points of the new selection drawn, median and p95; the longest main-thread task (PerformanceObserver
  `longtask` in the map's frame) within each change;
- pan/zoom: bench.py's steps (map.panBy / setZoom without animation), each until the moved view's
  points are drawn plus two frames, median/p95/max, and the longest task during the steps;
- bytes: the published data files the page fetches at first paint (table JSON, points file,
  geometry; the names file only on a first popup) and the websocket bytes of the first load;
- server RSS after the first session and after the changes.

Results go to bench/results/scale-scale.json; other work on the machine makes the figures noisy
(the load average is recorded before and after). Never a timed test: nothing here fails on speed.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]

from adapters import CANDIDATES, RESULTS_DIR, OursAdapter, post_script_gc  # noqa: E402
from measure import median, percentile  # noqa: E402
from report import machine_info, write_json  # noqa: E402
from session import Session  # noqa: E402

from bench import PAN_ZOOM_STEPS, _loadavg  # noqa: E402
from tests.harness import free_port, launch_chromium, map_frame, start_streamlit, stop_streamlit  # noqa: E402

VIEW = "?zoom=8&center=20.6,-100.4"  # central Mexico: points shown (layers.markers.MIN_ZOOM = 7)
POINTS_DRAWN_JS = """since => { const a = window.atlas, s = a && a.stats.project;
  return !!s && s.doneAt !== undefined && s.doneAt >= since && !a.pointsBusy() ? s : null; }"""
LONGTASKS_JS = "([a, b]) => window.__monFrame.longtasks.filter(e => e.t + e.d >= a && e.t <= b).map(e => e.d)"
SHIPPED = ("records", "points", "states", "outline")  # fetched at first paint; "names" on a first popup


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from playwright.sync_api import sync_playwright

    results = {
        "when": datetime.datetime.now().isoformat(timespec="seconds"),
        "mode": "scale",
        "runner_post_script_gc": post_script_gc(),
        "load_before": _loadavg(),
        "runs": {},
    }
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        results["machine"] = machine_info(browser)
        for n in args.points or [100_000, 1_000_000]:
            print(f"\n== ATLAS_SYNTHETIC_POINTS={n}", flush=True)
            results["runs"][str(n)] = _scale(browser, n, args)
        browser.close()
    results["load_after"] = _loadavg()
    print(f"\nload average before {results['load_before']}, after {results['load_after']}")
    out = Path(args.json or RESULTS_DIR / f"scale-{results['mode']}.json")
    write_json(out, results)
    print(f"wrote {out}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, action="append", help="synthetic points (repeatable)")
    parser.add_argument("--changes", type=int, default=10, help="timed filter changes per point count")
    parser.add_argument("--json", help="where to write the results")
    return parser


class AtlasServer:
    """The atlas on a free port with N synthetic points and its own data folder."""

    def __init__(self, n: int):
        self.folder = tempfile.TemporaryDirectory(prefix="atlas-scale-")
        self.adapter = OursAdapter(env={"ATLAS_SYNTHETIC_POINTS": str(n), "ATLAS_CACHE_DIR": self.folder.name})
        self.log = RESULTS_DIR / f"server-scale-{n}.log"
        self.server = None

    def start(self, port: int):
        self.server = start_streamlit(
            self.adapter.script,
            port=port,
            env=self.adapter.env,
            extra_args=self.adapter.extra_args,
            log_path=self.log,
            launcher=self.adapter.launcher,
            timeout=300,
        )
        return self.server

    def shipped_bytes(self) -> dict[str, int]:
        sizes = {path.name.split("-", 1)[0]: path.stat().st_size for path in Path(self.folder.name).iterdir()}
        return {stem: size for stem, size in sizes.items() if stem in (*SHIPPED, "names")}

    def stop(self):
        if self.server is not None:
            stop_streamlit(self.server)
        self.folder.cleanup()


def _scale(browser, n: int, args) -> dict:
    box = AtlasServer(n)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    session = Session(browser, url + VIEW, box.adapter)
    session.url = url + VIEW
    result: dict = {"points": n}
    try:
        started = time.time() * 1000
        server = box.start(port)
        healthy = time.time() * 1000
        result["cold"] = _first_paint(session, healthy)
        result["cold"]["start_to_health_ms"] = healthy - started
        session.settle(timeout=300)
        result["ws_bytes_first_load"] = session.ws_bytes
        result["shipped_bytes"] = box.shipped_bytes()
        result["shipped_bytes_first_paint"] = sum(v for k, v in result["shipped_bytes"].items() if k in SHIPPED)
        result["rss_kib_1_session"] = server.rss_kib()
        warm = Session(browser, url + VIEW, box.adapter)
        try:
            result["warm"] = _first_paint(warm, warm_from=True)
        finally:
            warm.close()
        result["changes"] = _changes(session, args.changes)
        result["pan_zoom"] = _pan_zoom(session)
        result["rss_kib_after"] = server.rss_kib()
    except Exception as error:  # report, go on with the next point count
        result["error"] = f"{type(error).__name__}: {error}"
        print(f"   ERROR: {result['error']} (server log {box.log})")
    finally:
        session.close()
        box.stop()
    _print_scale(result)
    return result


def _first_paint(session: Session, healthy: float | None = None, *, warm_from: bool = False) -> dict:
    """Navigation -> 32 states painted -> project points drawn (epoch ms from the page)."""
    states_ms = session.open(timeout=300)
    nav = session.navigated_at
    stats = _wait_points(session, nav, timeout=300)
    out = {"nav_to_states_ms": states_ms, "nav_to_points_ms": stats["doneAt"] - nav}
    if healthy is not None:
        out["health_to_nav_ms"] = nav - healthy
        out["health_to_states_ms"] = nav + states_ms - healthy
        out["health_to_points_ms"] = stats["doneAt"] - healthy
    return out


def _wait_points(session: Session, since: float, *, timeout: float = 60) -> dict:
    frame = map_frame(session.page)
    handle = frame.wait_for_function(POINTS_DRAWN_JS, arg=since, polling="raf", timeout=timeout * 1000)
    return handle.json_value()


def _changes(session: Session, count: int) -> dict:
    """ALL <-> one sector, alternating through the candidates: pointerdown -> new points drawn."""
    frame = map_frame(session.page)
    latencies, longest, server = [], [], []
    sectors = itertools.cycle(CANDIDATES)
    for i in range(count):
        target = next(sectors) if session.state == session.adapter.initial else session.adapter.initial
        session.adapter.apply(session.page, session.state, target)
        t0 = session.pointerdown_at()
        stats = _wait_points(session, t0)
        session.state = target
        latencies.append(stats["doneAt"] - t0)
        longest.append(max(frame.evaluate(LONGTASKS_JS, [t0, stats["doneAt"]]), default=0))
        server.append(stats.get("workerMs"))
        session.settle()
        print(f"   change {i + 1}/{count} -> {target}: {latencies[-1]:.0f} ms", flush=True)
    return {
        "median_ms": median(latencies),
        "p95_ms": percentile(latencies, 95),
        "all_ms": latencies,
        "longest_task_ms": max(longest),
        "worker_ms_median": median([w for w in server if w is not None]),
    }


def _pan_zoom(session: Session) -> dict:
    frame = map_frame(session.page)
    t0 = session.page.evaluate("performance.timeOrigin + performance.now()")
    steps = []
    for step in PAN_ZOOM_STEPS:
        steps.append(session.pan_zoom(step))
        session.settle()
    t1 = session.page.evaluate("performance.timeOrigin + performance.now()")
    return {
        "median_ms": median(steps),
        "p95_ms": percentile(steps, 95),
        "max_ms": max(steps),
        "all_ms": steps,
        "longest_task_ms": max(frame.evaluate(LONGTASKS_JS, [t0, t1]), default=0),
    }


def _print_scale(r: dict) -> None:
    if "error" in r:
        return
    cold, warm, ch, pz = r["cold"], r["warm"], r["changes"], r["pan_zoom"]
    print(
        f"   first paint cold: start->health {cold['start_to_health_ms']:.0f} ms, health->states"
        f" {cold['health_to_states_ms']:.0f} ms, health->points {cold['health_to_points_ms']:.0f} ms\n"
        f"   first paint warm: nav->states {warm['nav_to_states_ms']:.0f} ms,"
        f" nav->points {warm['nav_to_points_ms']:.0f} ms\n"
        f"   filter change: median {ch['median_ms']:.0f} ms, p95 {ch['p95_ms']:.0f} ms, longest task"
        f" {ch['longest_task_ms']:.0f} ms, worker {ch['worker_ms_median']:.0f} ms (median)\n"
        f"   pan/zoom: median {pz['median_ms']:.0f} ms, p95 {pz['p95_ms']:.0f} ms, max {pz['max_ms']:.0f} ms,"
        f" longest task {pz['longest_task_ms']:.0f} ms\n"
        f"   bytes at first paint {r['shipped_bytes_first_paint'] / 1e6:.2f} MB ({r['shipped_bytes']}),"
        f" websocket {r['ws_bytes_first_load'] / 1e3:.0f} kB\n"
        f"   server RSS: 1 session {r['rss_kib_1_session'] / 1024:.0f} MiB, after {r['rss_kib_after'] / 1024:.0f} MiB",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
