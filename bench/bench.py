"""Benchmark: the atlas (app.py) against a floor page with the same widget, and a naive baseline.

    uv run python bench/bench.py                    # floor, baseline, ours; 24 timed changes each
    uv run python bench/bench.py --apps floor,ours  # the contract: the atlas against its floor
    uv run python bench/bench.py --quick            # 6 timed changes each
    uv run python bench/bench.py --scale            # ours with 100,000 synthetic points (+ the floor)
    uv run python bench/bench.py --profile          # server time per section of one atlas rerun
    uv run python bench/bench.py --apps floor,ours --script ours=/path/to/candidate_app.py

The contract (issue 9): the atlas's sector change is judged against bench/floor_app.py, a page
with the same widget (the sidebar multiselect "Sectors") and the same `runner.postScriptGC`
value (bench/adapters.py `post_script_gc`, passed to both servers), measured in the same run.

Every app gets its own Streamlit server on a free localhost port, driven in headless Debian
Chromium with every request outside 127.0.0.1/localhost aborted. The servers are started one
after the other (each one's cold start measured while the others are idle), then stay up
together, and the timed changes are interleaved: round i makes one change in every app, the order
rotated by one app per round, so slow drift of the machine (other work, thermal) falls on all
apps alike and round i of one app can be paired with round i of another. Per app:

- first paint cold: server start -> `/_stcore/health` answers -> first navigation (a browser
  context made beforehand) -> the first frame with 32 state polygons (floor: its text); reported
  as its parts, the target being health -> painted. Warm: a new browser context (no cache)
  opened on the running server, three times (median);
- per filter change (the adapters in bench/adapters.py say how): latency from the pointerdown to
  the first frame showing the expected fills (floor: text), median and p95; blank time (0 polygons
  on screen); whether the map iframe was remounted; websocket payload bytes received by the page
  (Playwright `framereceived`, after decompression) and TCP bytes the server sent (`ss`, on the
  wire); and the rerun's last message (the whole page updated: the atlas's map repaints before it
  from the steps it holds, the rest of the page with it);
- against the floor: the ratio of medians and of p95s, the median of the paired per-round
  ratios, and the extra milliseconds (median of per-round differences);
- server RSS (VmRSS of the streamlit process) idle, with 1 session, with 10 concurrent sessions
  (measured one app at a time, after the timed rounds).
A table, the comparison and the targets (PASS/FAIL/PENDING) go to stdout, everything to
bench/results/latest.json (gitignored). `--profile` runs bench/rerun_profile.py instead (no
browser). The floor and the atlas run with the repo's .streamlit/config.toml (from the repo
root); the baseline with websocket compression off. Exit code 1 only when an app could not be
measured (error); a missed target is reported, never an exit code.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]  # the bench's modules; geo/ and tests/

from adapters import ADAPTERS, RESULTS_DIR, post_script_gc, with_script  # noqa: E402
from measure import median, percentile  # noqa: E402
from report import machine_info, write_json  # noqa: E402
from session import Session, learn_signatures, usable_states  # noqa: E402

from tests.harness import free_port, launch_chromium, start_streamlit, stop_streamlit  # noqa: E402

SYNTHETIC_POINTS = "100000"
WARM_OPENS = 3  # fresh browser contexts for the warm first paint
PAN_ZOOM_STEPS = (
    {"zoom": 1}, {"pan": [200, 0]}, {"pan": [0, 150]}, {"zoom": 1}, {"pan": [-250, 0]},
    {"zoom": -1}, {"pan": [0, -150]}, {"zoom": -1}, {"pan": [150, 100]}, {"pan": [-100, -100]},
)  # fmt: skip
# Targets (issue 9). Reported PASS/FAIL, never as timed tests.
MEDIAN_VS_FLOOR = 1.25  # change median <= this x the floor's median
P95_VS_FLOOR = 2.0  # change p95 <= this x the floor's p95
MAX_CHANGE_BYTES = 30_000
WARM_PAINT_MS = 1200
COLD_PAINT_MS = 3000  # from the server answering its health check


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.profile:
        import rerun_profile

        return rerun_profile.main(["--script", args.profile_script] if args.profile_script else [])
    from playwright.sync_api import sync_playwright

    apps = _select_apps(args)
    changes = args.changes or (6 if args.quick else 24)
    results = {
        "when": datetime.datetime.now().isoformat(timespec="seconds"),
        "mode": "scale" if args.scale else "standard",
        "changes_per_app": changes,
        "interleaved": True,
        "runner_post_script_gc": post_script_gc(),
        "load_before": _loadavg(),
        "apps": {},
    }
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        results["machine"] = machine_info(browser)
        _print_machine(results["machine"])
        print(f"runner.postScriptGC = {str(results['runner_post_script_gc']).lower()} (floor and atlas)")
        runs = [AppRun(browser, adapter) for adapter in apps]
        try:
            for run in runs:
                print(f"\n== {run.name}: {run.adapter.script}", flush=True)
                run.start()
            _same_plan(runs)
            _interleave(runs, changes)
            for run in runs:
                run.finish(scale=args.scale)
        finally:
            for run in runs:
                run.stop()
        results["apps"] = {run.name: run.result for run in runs}
        browser.close()
    results["load_after"] = _loadavg()
    results["comparison"] = _compare(results["apps"])
    results["targets"] = _targets(results["apps"], results["comparison"], scale=args.scale)
    _print_table(results["apps"])
    _print_comparison(results["comparison"])
    _print_targets(results["targets"])
    print(f"\nload average before {results['load_before']}, after {results['load_after']}")
    out = Path(args.json)
    write_json(out, results)
    print(f"wrote {out}")
    return 1 if any(app["status"] == "error" for app in results["apps"].values()) else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="6 timed changes per app")
    parser.add_argument("--changes", type=int, help="timed changes per app (default 24)")
    parser.add_argument(
        "--scale",
        action="store_true",
        help=f"ours with ATLAS_SYNTHETIC_POINTS={SYNTHETIC_POINTS}; adds pan/zoom timing",
    )
    parser.add_argument("--apps", help="comma-separated subset of floor,baseline,ours")
    parser.add_argument(
        "--script",
        action="append",
        default=[],
        metavar="APP=PATH",
        help="serve another script for an app (e.g. ours=/tmp/candidate.py); repeatable",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="no browser: server-side time per section of the atlas's first run and a sector change",
    )
    parser.add_argument("--profile-script", help="with --profile: another script than app.py")
    parser.add_argument("--json", default=str(RESULTS_DIR / "latest.json"))
    return parser


def _select_apps(args):
    names = ["floor", "ours"] if args.scale else ["floor", "baseline", "ours"]
    if args.apps:
        names = [name.strip() for name in args.apps.split(",") if name.strip()]
        unknown = sorted(set(names) - set(ADAPTERS))
        if unknown:
            raise SystemExit(f"unknown app(s) {unknown}; choose from {sorted(ADAPTERS)}")
    scripts = dict(item.split("=", 1) for item in args.script)
    apps = []
    for name in names:
        adapter = with_script(ADAPTERS[name](), scripts.get(name))
        if args.scale and name == "ours":
            adapter.env["ATLAS_SYNTHETIC_POINTS"] = SYNTHETIC_POINTS
        apps.append(adapter)
    return apps


def _loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return "?"


class AppRun:
    """One app's server, its timed session and its results, through the phases of a run:
    `start` (cold and warm first paint, signatures), `step` (one timed change, called by the
    interleaving loop), `finish` (summary, pan/zoom, memory with 10 sessions), `stop`.
    An exception in any phase marks the app as an error and takes it out of the rotation."""

    def __init__(self, browser, adapter):
        self.browser, self.adapter, self.name = browser, adapter, adapter.name
        self.server = None
        self.session: Session | None = None
        self.timings: list[dict] = []
        self.log = RESULTS_DIR / f"server-{adapter.name}.log"
        reason = adapter.pending_reason()
        self.result: dict = {"status": "pending", "reason": reason} if reason else {"status": "ok"}

    @property
    def ok(self) -> bool:
        return self.result["status"] == "ok"

    def _fail(self, error: Exception) -> None:
        print(f"   ERROR ({self.name}): {error}\n   server log: {self.log}", flush=True)
        self.result = {"status": "error", "error": str(error), "server_log": str(self.log)}

    def start(self) -> None:
        if not self.ok:
            print(f"   PENDING: {self.result['reason']}")
            return
        try:
            self._start()
        except Exception as error:  # report and go on with the other apps
            self._fail(error)

    def _start(self) -> None:
        adapter, result = self.adapter, self.result
        port = free_port()
        self.session = Session(self.browser, f"http://127.0.0.1:{port}/", adapter)  # context made beforehand
        started = time.time() * 1000
        self.server = start_streamlit(
            adapter.script,
            port=port,
            env=adapter.env,
            extra_args=adapter.extra_args,
            log_path=self.log,
            launcher=adapter.launcher,
        )
        healthy = time.time() * 1000
        nav_to_paint = self.session.open()
        painted = self.session.navigated_at + nav_to_paint
        result.update(
            script=str(adapter.script),
            rss_kib_idle=self.server.rss_kib(),
            cold_start_to_health_ms=healthy - started,
            cold_health_to_nav_ms=self.session.navigated_at - healthy,
            first_paint_cold_nav_ms=nav_to_paint,
            first_paint_cold_ms=painted - healthy,  # the target: after the server is ready
            first_paint_cold_total_ms=painted - started,
        )
        self.session.settle()
        warm = []
        for _ in range(WARM_OPENS):
            other = Session(self.browser, self.server.url, adapter)
            try:
                warm.append(other.open())
                other.settle()
            finally:
                other.close()
        result["first_paint_warm_all_ms"] = warm
        result["first_paint_warm_ms"] = median(warm)
        print(
            f"   cold: server start -> health {result['cold_start_to_health_ms']:.0f} ms,"
            f" -> navigation {result['cold_health_to_nav_ms']:.0f} ms,"
            f" -> painted {nav_to_paint:.0f} ms (health -> painted {result['first_paint_cold_ms']:.0f} ms)\n"
            f"   warm (new context) {', '.join(f'{w:.0f}' for w in warm)} ms",
            flush=True,
        )
        if adapter.kind == "text":
            self.usable = list(adapter.candidates)
            self.expected_of = adapter.expected
            if adapter.needs_reset(self.session.page):
                self.session.act(lambda: adapter.reset(self.session.page))
        else:
            signatures = learn_signatures(self.session, list(adapter.candidates))
            self.usable = usable_states(adapter, signatures)
            if not self.usable:
                raise RuntimeError(f"no candidate sector changes the map: {signatures}")
            self.expected_of = signatures.__getitem__
        self.session.settle()

    def step(self, index: int) -> None:
        if not self.ok:
            return
        try:
            target = self.adapter.next_state(self.session.state, index, self.usable)
            timing = self.session.change(target, self.expected_of(target))
            timing["round"] = index
            self.timings.append(timing)
        except Exception as error:
            self._fail(error)

    def finish(self, *, scale: bool) -> None:
        if not self.ok:
            return
        try:
            self.result.update(_summarise(self.timings, self.usable))
            _print_changes(self.name, self.result)
            self.result["rss_kib_1_session"] = self.server.rss_kib()
            if scale and self.name == "ours":
                self.result["pan_zoom_ms"] = _time_pan_zoom(self.session)
            others = []
            try:
                for _ in range(9):
                    other = Session(self.browser, self.server.url, self.adapter)
                    others.append(other)
                    other.open()
                for session in [self.session, *others]:
                    session.settle()
                self.result["rss_kib_10_sessions"] = self.server.rss_kib()
            finally:
                sessions = [self.session, *others]
                self.result["blocked_requests"] = sum(len(s.blocked) for s in sessions)
                self.result["blocked_examples"] = sorted({u for s in sessions for u in s.blocked})[:5]
                self.result["page_errors"] = [e for s in sessions for e in s.page_errors][:10]
                for other in others:
                    other.close()
        except Exception as error:
            self._fail(error)

    def stop(self) -> None:
        if self.session is not None:
            try:
                self.session.close()
            except Exception:  # the browser may be gone already
                pass
            self.session = None
        if self.server is not None:
            stop_streamlit(self.server)
            self.server = None


def _same_plan(runs: list[AppRun]) -> None:
    """The floor cycles the sectors the atlas's map tells apart, so round i is the same change
    (ALL -> X or X -> ALL, the same X) on both pages."""
    by_name = {run.name: run for run in runs if run.ok}
    if "floor" in by_name and "ours" in by_name:
        by_name["floor"].usable = list(by_name["ours"].usable)


def _interleave(runs: list[AppRun], changes: int) -> None:
    """Round i: one timed change in every app, the order rotated by i."""
    active = [run for run in runs if run.ok]
    if not active:
        return
    print(f"\n== {changes} rounds, one change per app each, order rotated: {', '.join(r.name for r in active)}")
    for index in range(changes):
        shift = index % len(active)
        for run in active[shift:] + active[:shift]:
            run.step(index)
        if (index + 1) % 6 == 0:
            shown = ", ".join(f"{r.name} {r.timings[-1]['latency_ms']:.0f}" for r in active if r.ok and r.timings)
            print(f"   round {index + 1}/{changes}: {shown} ms", flush=True)


def _summarise(timings: list[dict], usable: list[str]) -> dict:
    latencies = [t["latency_ms"] for t in timings]
    sizes = [t["ws_bytes"] for t in timings]
    wire = [t["wire_bytes"] for t in timings if t["wire_bytes"] is not None]
    return {
        "changes": len(timings),
        "states_used": usable,
        "change_ms_median": median(latencies),
        "change_ms_p95": percentile(latencies, 95),
        "change_ms_max": max(latencies),
        "first_message_ms_median": _median_of(timings, "first_message_ms"),
        "last_message_ms_median": _median_of(timings, "last_message_ms"),
        "map_args_ms_median": _median_of(timings, "map_args_ms"),
        "page_done_ms_median": _median_of(timings, "page_done_ms"),
        "page_done_ms_p95": percentile([t["page_done_ms"] for t in timings if t.get("page_done_ms") is not None], 95),
        "blank_ms_total": sum(t["blank_ms"] for t in timings),
        "blank_changes": sum(1 for t in timings if t["blank_ms"] > 0),
        "remounts": sum(1 for t in timings if t["remounted"]),
        "ws_bytes_median": median(sizes),
        "ws_bytes_max": max(sizes),
        "wire_bytes_median": median(wire),
        "wire_bytes_max": max(wire) if wire else None,
        "timings": timings,
    }


def _print_changes(name: str, summary: dict) -> None:
    print(
        f"\n   {name}: change median {summary['change_ms_median']:.0f} ms, p95 {summary['change_ms_p95']:.0f}"
        f" ms, blank {summary['blank_ms_total']:.0f} ms, remounts {summary['remounts']},"
        f" websocket {summary['ws_bytes_median'] / 1000:.1f} kB/change"
        f" ({_fmt(summary['wire_bytes_median'], 1000, 1)} kB on the wire)\n"
        f"   click -> first server message {_fmt(summary['first_message_ms_median'])} ms,"
        f" -> last message before the change showed {_fmt(summary['last_message_ms_median'])} ms,"
        f" -> map iframe got its arguments {_fmt(summary['map_args_ms_median'])} ms,"
        f" -> the rerun's last message (the whole page) {_fmt(summary['page_done_ms_median'])} ms (medians)",
        flush=True,
    )


def _median_of(timings: list[dict], key: str) -> float | None:
    return median([t[key] for t in timings if t.get(key) is not None])


def _time_pan_zoom(session: Session) -> dict:
    steps = []
    for step in PAN_ZOOM_STEPS:
        steps.append(session.pan_zoom(step))
        session.settle()
    return {"median": median(steps), "p95": percentile(steps, 95), "max": max(steps), "all": steps}


def _compare(apps: dict) -> dict | None:
    """The atlas against the floor, measured in the same run: ratios of medians and p95s, and
    the paired per-round ratio and difference (round i of one against round i of the other)."""
    floor, ours = apps.get("floor", {}), apps.get("ours", {})
    if floor.get("status") != "ok" or ours.get("status") != "ok" or "timings" not in floor or "timings" not in ours:
        return None
    by_round = {t["round"]: t["latency_ms"] for t in floor["timings"]}
    pairs = [(t["latency_ms"], by_round[t["round"]]) for t in ours["timings"] if t["round"] in by_round]
    ratios = [o / f for o, f in pairs if f > 0]
    extra = [o - f for o, f in pairs]
    return {
        "floor_median_ms": floor["change_ms_median"],
        "floor_p95_ms": floor["change_ms_p95"],
        "ours_median_ms": ours["change_ms_median"],
        "ours_p95_ms": ours["change_ms_p95"],
        "median_ratio": ours["change_ms_median"] / floor["change_ms_median"],
        "p95_ratio": ours["change_ms_p95"] / floor["change_ms_p95"],
        "pairs": len(pairs),
        "paired_ratio_median": median(ratios),
        "paired_ratio_p95": percentile(ratios, 95),
        "extra_ms_median": median(extra),
        "extra_ms_p95": percentile(extra, 95),
        "extra_ms_of_medians": ours["change_ms_median"] - floor["change_ms_median"],
        "page_done_ms": {"floor": floor["page_done_ms_median"], "ours": ours["page_done_ms_median"]},
        "first_paint_warm_ms": {"floor": floor["first_paint_warm_ms"], "ours": ours["first_paint_warm_ms"]},
        "first_paint_cold_ms": {"floor": floor["first_paint_cold_ms"], "ours": ours["first_paint_cold_ms"]},
    }


# --------------------------------------------------------------------------- verdicts


def _targets(apps: dict, comparison: dict | None, *, scale: bool) -> list[dict]:
    base, ours = (apps.get(name, {}) for name in ("baseline", "ours"))

    def get(app, key):
        return app.get(key) if app.get("status") == "ok" else None

    def check(name, value, limit, holds, unit=""):
        status = "PENDING" if value is None or limit is None else ("PASS" if holds() else "FAIL")
        return {"target": name, "value": value, "limit": limit, "unit": unit, "status": status}

    rows = []
    if scale:
        paint = get(ours, "first_paint_warm_ms")
        change = get(ours, "change_ms_median")
        pan = (get(ours, "pan_zoom_ms") or {}).get("p95")
        rows.append(check("scale: first paint (warm) <= 3 s", paint, 3000, lambda: paint <= 3000, "ms"))
        rows.append(check("scale: filter change median <= 1.5 s", change, 1500, lambda: change <= 1500, "ms"))
        rows.append(check("scale: pan/zoom step p95 <= 200 ms", pan, 200, lambda: pan <= 200, "ms"))
        return rows
    comparison = comparison or {}
    med, p95 = get(ours, "change_ms_median"), get(ours, "change_ms_p95")
    floor_med, floor_p95 = comparison.get("floor_median_ms"), comparison.get("floor_p95_ms")
    lim_med = MEDIAN_VS_FLOOR * floor_med if floor_med else None
    lim_p95 = P95_VS_FLOOR * floor_p95 if floor_p95 else None
    rows.append(
        check(
            f"sector change median <= {MEDIAN_VS_FLOOR} x floor median (same widget, same run)",
            med, lim_med, lambda: med <= lim_med, "ms",
        )
    )  # fmt: skip
    rows.append(check(f"sector change p95 <= {P95_VS_FLOOR:g} x floor p95", p95, lim_p95, lambda: p95 <= lim_p95, "ms"))
    base_med = get(base, "change_ms_median")
    if base_med is not None:
        ratio = base_med / med if med else None
        rows.append(check("baseline / ours (change median) >= 3", ratio, 3, lambda: ratio >= 3, "x"))
    blank = get(ours, "blank_ms_total")
    rows.append(check("zero blank time", blank, 0, lambda: blank == 0, "ms"))
    remounts = get(ours, "remounts")
    rows.append(check("no remount", remounts, 0, lambda: remounts == 0))
    size = get(ours, "ws_bytes_max")
    rows.append(
        check(
            "<= 30 kB websocket payload per change (max)", size, MAX_CHANGE_BYTES, lambda: size <= MAX_CHANGE_BYTES, "B"
        )
    )
    wire = get(ours, "wire_bytes_max")
    rows.append(
        check("<= 30 kB on the wire per change (max)", wire, MAX_CHANGE_BYTES, lambda: wire <= MAX_CHANGE_BYTES, "B")
    )
    paint = get(ours, "first_paint_warm_ms")
    rows.append(
        check("first paint warm (new context) <= 1.2 s", paint, WARM_PAINT_MS, lambda: paint <= WARM_PAINT_MS, "ms")
    )
    cold = get(ours, "first_paint_cold_ms")
    rows.append(
        check(
            "first paint cold <= 3 s after the server is ready (health -> painted)",
            cold, COLD_PAINT_MS, lambda: cold <= COLD_PAINT_MS, "ms",
        )
    )  # fmt: skip
    return rows


# --------------------------------------------------------------------------- printing


def _print_machine(machine: dict) -> None:
    print(
        f"machine: {machine['nproc']} cores, {machine['mem_total']}, {machine['cpu_model']}\n"
        f"browser: {machine['chromium']}\n"
        f"python {machine['python']}, " + ", ".join(f"{k} {v}" for k, v in machine["packages"].items())
    )


def _fmt(value, scale=1.0, digits=0) -> str:
    if value is None:
        return "-"
    return f"{value / scale:.{digits}f}"


def _print_table(apps: dict) -> None:
    header = (
        f"\n{'app':<9}{'paint cold':>11}{'warm':>7}{'chg med':>9}{'p95':>7}{'blank':>7}"
        f"{'remount':>8}{'ws kB':>7}{'wire kB':>8}{'RSS idle':>9}{'1 sess':>8}{'10 sess':>8}{'blocked':>8}"
    )
    print(header + "\n" + "-" * (len(header) - 1))
    for name, app in apps.items():
        if app.get("status") != "ok":
            print(f"{name:<9}{app.get('status', '?').upper()}: {app.get('reason') or app.get('error')}")
            continue
        print(
            f"{name:<9}{_fmt(app['first_paint_cold_ms']):>11}{_fmt(app['first_paint_warm_ms']):>7}"
            f"{_fmt(app['change_ms_median']):>9}{_fmt(app['change_ms_p95']):>7}"
            f"{_fmt(app['blank_ms_total']):>7}{app['remounts']:>8}"
            f"{_fmt(app['ws_bytes_median'], 1000, 1):>7}{_fmt(app.get('wire_bytes_median'), 1000, 1):>8}"
            f"{_fmt(app['rss_kib_idle'], 1024):>9}{_fmt(app['rss_kib_1_session'], 1024):>8}"
            f"{_fmt(app['rss_kib_10_sessions'], 1024):>8}{app['blocked_requests']:>8}"
        )
        if "pan_zoom_ms" in app:
            pz = app["pan_zoom_ms"]
            print(f"{'':<9}pan/zoom step median {pz['median']:.0f} ms, p95 {pz['p95']:.0f} ms")
    print(
        "(times in ms; paint cold = server health -> painted; RSS in MiB; per change, median: ws kB ="
        " websocket payload received by the page, wire kB = TCP bytes the server sent, after compression)"
    )


def _print_comparison(comparison: dict | None) -> None:
    if comparison is None:
        print("\nno comparison: the floor and the atlas were not both measured")
        return
    c = comparison
    print(
        f"\natlas vs floor (same widget, same run, {c['pairs']} paired rounds):\n"
        f"  median  floor {c['floor_median_ms']:.0f} ms, atlas {c['ours_median_ms']:.0f} ms,"
        f" ratio {c['median_ratio']:.2f}x\n"
        f"  p95     floor {c['floor_p95_ms']:.0f} ms, atlas {c['ours_p95_ms']:.0f} ms, ratio {c['p95_ratio']:.2f}x\n"
        f"  paired per-round ratio: median {_fmt(c['paired_ratio_median'], 1, 2)}x,"
        f" p95 {_fmt(c['paired_ratio_p95'], 1, 2)}x\n"
        f"  the atlas's extra time per change: {_fmt(c['extra_ms_median'])} ms (median of paired differences;"
        f" p95 {_fmt(c['extra_ms_p95'])} ms; difference of medians {c['extra_ms_of_medians']:.0f} ms)\n"
        f"  the whole page (the rerun's last message; the map repaints before it from its steps): floor"
        f" {_fmt(c['page_done_ms']['floor'])} ms, atlas {_fmt(c['page_done_ms']['ours'])} ms (medians)\n"
        f"  first paint warm: floor {c['first_paint_warm_ms']['floor']:.0f} ms, atlas"
        f" {c['first_paint_warm_ms']['ours']:.0f} ms; cold (health -> painted): floor"
        f" {c['first_paint_cold_ms']['floor']:.0f} ms, atlas {c['first_paint_cold_ms']['ours']:.0f} ms"
    )


def _print_targets(rows: list[dict]) -> None:
    print("\ntargets:")
    for row in rows:
        value = row["value"]
        shown = "-" if value is None else (f"{value:.2f}" if isinstance(value, float) else value)
        limit = row["limit"]
        limit_shown = "-" if limit is None else (f"{limit:.0f}" if isinstance(limit, float) else limit)
        print(f"  [{row['status']:<7}] {row['target']}: {shown} {row['unit']} (limit {limit_shown})")


if __name__ == "__main__":
    sys.exit(main())
