"""Benchmark: the atlas (app.py) against the Streamlit floor and a naive folium baseline.

    uv run python bench/bench.py            # floor, baseline, ours; ~24 timed changes each
    uv run python bench/bench.py --quick    # 6 timed changes each
    uv run python bench/bench.py --scale    # ours with 100,000 synthetic points (+ the floor)
    uv run python bench/bench.py --apps floor --script ours=/path/to/candidate_app.py

Each app gets its own Streamlit server on a free localhost port, one after the other (the machine
has 2 cores: running them side by side would measure the contention), driven in headless Debian
Chromium with every request outside 127.0.0.1/localhost aborted. For each app:

- first paint: navigation start -> the first frame with 32 state polygons (floor: its text),
  cold (first load after server start) and warm (second navigation, same browser context);
- per filter change (the adapters in bench/adapters.py say how): latency from the pointerdown to
  the first frame showing the expected fills, median and p95; blank time (0 polygons on screen);
  whether the map iframe was remounted; websocket payload bytes received by the page (Playwright
  `framereceived`, i.e. after decompression) and TCP bytes the server sent (`ss`, i.e. on the wire);
- server RSS (VmRSS of the streamlit process) idle, with 1 session, with 10 concurrent sessions.
A table and the targets go to stdout, everything to bench/results/latest.json (gitignored).
The floor and the atlas run with the repo's .streamlit/config.toml; the baseline with Streamlit's
defaults except static serving. Exit code 1 only when an app could not be measured (error).
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]  # the bench's modules; geo/ and tests/

from adapters import ADAPTERS, RESULTS_DIR, with_script  # noqa: E402
from measure import median, percentile  # noqa: E402
from report import machine_info, write_json  # noqa: E402
from session import Session, learn_signatures, usable_states  # noqa: E402

from tests.harness import launch_chromium, start_streamlit, stop_streamlit  # noqa: E402

SYNTHETIC_POINTS = "100000"
PAN_ZOOM_STEPS = (
    {"zoom": 1}, {"pan": [200, 0]}, {"pan": [0, 150]}, {"zoom": 1}, {"pan": [-250, 0]},
    {"zoom": -1}, {"pan": [0, -150]}, {"zoom": -1}, {"pan": [150, 100]}, {"pan": [-100, -100]},
)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from playwright.sync_api import sync_playwright

    apps = _select_apps(args)
    changes = args.changes or (6 if args.quick else 24)
    results = {
        "when": datetime.datetime.now().isoformat(timespec="seconds"),
        "mode": "scale" if args.scale else "standard",
        "changes_per_app": changes,
        "apps": {},
    }
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        results["machine"] = machine_info(browser)
        _print_machine(results["machine"])
        for adapter in apps:
            print(f"\n== {adapter.name}: {adapter.script}", flush=True)
            results["apps"][adapter.name] = _run_app(browser, adapter, changes, args)
        browser.close()
    results["targets"] = _targets(results["apps"], scale=args.scale)
    _print_table(results["apps"])
    _print_targets(results["targets"])
    out = Path(args.json)
    write_json(out, results)
    print(f"\nwrote {out}")
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


def _run_app(browser, adapter, changes: int, args) -> dict:
    reason = adapter.pending_reason()
    if reason:
        print(f"   PENDING: {reason}")
        return {"status": "pending", "reason": reason}
    log = RESULTS_DIR / f"server-{adapter.name}.log"
    server = None
    sessions: list[Session] = []
    try:
        server = start_streamlit(
            adapter.script, env=adapter.env, extra_args=adapter.extra_args, log_path=log, launcher=adapter.launcher
        )
        result = {"status": "ok", "script": str(adapter.script), "rss_kib_idle": server.rss_kib()}
        main_session = Session(browser, server.url, adapter)
        sessions.append(main_session)
        result["first_paint_cold_ms"] = main_session.open()
        main_session.settle()
        result["first_paint_warm_ms"] = main_session.open()
        main_session.settle()
        print(
            f"   first paint cold {result['first_paint_cold_ms']:.0f} ms, warm {result['first_paint_warm_ms']:.0f} ms",
            flush=True,
        )
        result.update(_time_changes(main_session, adapter, changes))
        result["rss_kib_1_session"] = server.rss_kib()
        if args.scale and adapter.name == "ours":
            result["pan_zoom_ms"] = _time_pan_zoom(main_session)
        for _ in range(9):
            other = Session(browser, server.url, adapter)
            sessions.append(other)
            other.open()
        for other in sessions:
            other.settle()
        result["rss_kib_10_sessions"] = server.rss_kib()
        result["blocked_requests"] = sum(len(s.blocked) for s in sessions)
        result["blocked_examples"] = sorted({u for s in sessions for u in s.blocked})[:5]
        result["page_errors"] = [e for s in sessions for e in s.page_errors][:10]
        return result
    except Exception as error:  # report and go on with the next app
        print(f"   ERROR: {error}\n   server log: {log}")
        return {"status": "error", "error": str(error), "server_log": str(log)}
    finally:
        for session in sessions:
            session.close()
        if server is not None:
            stop_streamlit(server)


def _time_changes(session: Session, adapter, changes: int) -> dict:
    if adapter.kind == "text":
        expected_of, usable = (lambda state: state), []
    else:
        signatures = learn_signatures(session, list(adapter.candidates))
        usable = usable_states(adapter, signatures)
        if not usable:
            raise RuntimeError(f"no candidate sector changes the map: {signatures}")
        expected_of = signatures.__getitem__
    timings = []
    for index in range(changes):
        target = adapter.next_state(session.state, index, usable)
        timings.append(session.change(target, expected_of(target)))
    latencies = [t["latency_ms"] for t in timings]
    sizes = [t["ws_bytes"] for t in timings]
    wire = [t["wire_bytes"] for t in timings if t["wire_bytes"] is not None]
    summary = {
        "changes": len(timings),
        "states_used": usable,
        "change_ms_median": median(latencies),
        "change_ms_p95": percentile(latencies, 95),
        "change_ms_max": max(latencies),
        "first_message_ms_median": _median_of(timings, "first_message_ms"),
        "last_message_ms_median": _median_of(timings, "last_message_ms"),
        "map_args_ms_median": _median_of(timings, "map_args_ms"),
        "blank_ms_total": sum(t["blank_ms"] for t in timings),
        "blank_changes": sum(1 for t in timings if t["blank_ms"] > 0),
        "remounts": sum(1 for t in timings if t["remounted"]),
        "ws_bytes_median": median(sizes),
        "ws_bytes_max": max(sizes),
        "wire_bytes_median": median(wire),
        "wire_bytes_max": max(wire) if wire else None,
        "timings": timings,
    }
    print(
        f"   change median {summary['change_ms_median']:.0f} ms, p95 {summary['change_ms_p95']:.0f}"
        f" ms, blank {summary['blank_ms_total']:.0f} ms, remounts {summary['remounts']},"
        f" websocket {summary['ws_bytes_median'] / 1000:.1f} kB/change"
        f" ({_fmt(summary['wire_bytes_median'], 1000, 1)} kB on the wire)\n"
        f"   click -> first server message {_fmt(summary['first_message_ms_median'])} ms,"
        f" -> last message before the change showed {_fmt(summary['last_message_ms_median'])} ms,"
        f" -> map iframe got its arguments {_fmt(summary['map_args_ms_median'])} ms (medians)",
        flush=True,
    )
    return summary


def _median_of(timings: list[dict], key: str) -> float | None:
    return median([t[key] for t in timings if t.get(key) is not None])


def _time_pan_zoom(session: Session) -> dict:
    steps = []
    for step in PAN_ZOOM_STEPS:
        steps.append(session.pan_zoom(step))
        session.settle()
    return {"median": median(steps), "p95": percentile(steps, 95), "max": max(steps), "all": steps}


# --------------------------------------------------------------------------- verdicts


def _targets(apps: dict, *, scale: bool) -> list[dict]:
    floor, base, ours = (apps.get(name, {}) for name in ("floor", "baseline", "ours"))
    floor_ms = floor.get("change_ms_median")

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
    med, p95 = get(ours, "change_ms_median"), get(ours, "change_ms_p95")
    lim_med = 1.6 * floor_ms if floor_ms else None
    lim_p95 = 2.5 * floor_ms if floor_ms else None
    rows.append(check("sector change median <= 1.6 x floor median", med, lim_med, lambda: med <= lim_med, "ms"))
    rows.append(check("sector change p95 <= 2.5 x floor median", p95, lim_p95, lambda: p95 <= lim_p95, "ms"))
    base_med = get(base, "change_ms_median")
    ratio = base_med / med if base_med and med else None
    rows.append(check("baseline / ours (change median) >= 3", ratio, 3, lambda: ratio >= 3, "x"))
    blank = get(ours, "blank_ms_total")
    rows.append(check("zero blank time", blank, 0, lambda: blank == 0, "ms"))
    remounts = get(ours, "remounts")
    rows.append(check("no remount", remounts, 0, lambda: remounts == 0))
    size = get(ours, "ws_bytes_max")
    rows.append(check("<= 30 kB websocket payload per change (max)", size, 30_000, lambda: size <= 30_000, "B"))
    wire = get(ours, "wire_bytes_max")
    rows.append(check("<= 30 kB on the wire per change (max)", wire, 30_000, lambda: wire <= 30_000, "B"))
    paint = get(ours, "first_paint_warm_ms")
    rows.append(check("first paint (warm) <= 2 s", paint, 2000, lambda: paint <= 2000, "ms"))
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
        "(times in ms; RSS in MiB; per change, median: ws kB = websocket payload received by the page,"
        " wire kB = TCP bytes the server sent, after compression)"
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
