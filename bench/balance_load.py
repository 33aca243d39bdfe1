"""Load through a balancer: how many concurrent sessions 1, 2 and 3 replicas hold at one p95 bound,
and what a viewer sees when a replica dies. Reuses bench/load.py's sessions, driver and checks.

    uv run python bench/balance_load.py                          # 1,2,3 replicas, p95 <= 1500 ms
    uv run python bench/balance_load.py --replicas 1,3 --bound 1000 --duration 15

1. Ramp, per replica count: 1 = one server direct (no balancer); 2 and 3 = scripts/balance.sh
   (HAProxy) on a free port. Sessions are added two at a time (2, 4, 6, ...; the open ones stay
   open) and all of them change their own sector for `--duration` s. A step holds when p95 is
   within `--bound` with 0 errors and 0 stale maps; the ramp stops at the first step that does
   not. Each step records the load average (the machine is shared) and how the sessions spread
   over the replicas (their ATLAS cookie).
2. Replica kill, after the ramp with the most replicas: the sessions on the busiest replica are
   the victims. The others keep changing filters while that replica is SIGKILLed (2 s in): they
   must see 0 errors and 0 stale maps. Then each victim reloads its own URL (the view is in the
   URL) and must land on another replica with the same map (its 32 states' fills) and URL.
A table goes to stdout, everything to bench/results/balance-latest.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]  # the bench's modules; geo/ and tests/

from adapters import RESULTS_DIR, OursAdapter  # noqa: E402
from load import CHANGE_TIMEOUT_S, Driver, drive, open_sessions, summarise_changes, warm_up  # noqa: E402
from report import machine_info, write_json  # noqa: E402

from tests.harness import balancer, fills, launch_chromium, map_frame, streamlit_server  # noqa: E402

KILL_AFTER_S = 2.0
COOKIE = "ATLAS"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from playwright.sync_api import sync_playwright

    counts = sorted({int(n) for n in args.replicas.split(",")})
    result = {"when": datetime.datetime.now().isoformat(timespec="seconds"), "bound_ms": args.bound, "ramps": {}}
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        result["machine"] = machine_info(browser)
        for count in counts:
            with _app(count) as (url, run_dir):
                print(f"\n== {count} replica(s) at {url}", flush=True)
                drivers: list[Driver] = []
                signatures, usable = warm_up(browser, url, OursAdapter())
                result["ramps"][count] = _ramp(browser, url, drivers, signatures, usable, args)
                if count == counts[-1] and run_dir is not None:
                    result["kill"] = _kill_test(drivers, signatures, usable, run_dir, args.duration)
                for driver in drivers:
                    driver.session.close()
        browser.close()
    out = Path(args.json)
    write_json(out, result)
    _print(result)
    print(f"\nwrote {out}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replicas", default="1,2,3", help="replica counts to ramp (1 = one server direct)")
    parser.add_argument("--bound", type=float, default=1500, help="p95 bound for a step to hold, ms")
    parser.add_argument("--step", type=int, default=2, help="sessions added per step")
    parser.add_argument("--max-sessions", type=int, default=24)
    parser.add_argument("--duration", type=float, default=20, help="seconds of filter changes per step")
    parser.add_argument("--json", default=str(RESULTS_DIR / "balance-latest.json"))
    return parser


@contextmanager
def _app(count: int) -> Iterator[tuple[str, Path | None]]:
    """One server direct (count 1) or scripts/balance.sh with `count` replicas: (url, run folder)."""
    if count == 1:
        with streamlit_server("app.py", launcher="layers.server", log_path=RESULTS_DIR / "balance-r1.log") as server:
            yield server.url, None
    else:
        with balancer(count, Path(tempfile.mkdtemp(prefix="atlas-balance-bench-"))) as running:
            yield running.url, running.run_dir


def replica_of(session) -> str | None:
    """The replica this session's ATLAS cookie sends it to (None: no balancer)."""
    return next((c["value"] for c in session.context.cookies() if c["name"] == COOKIE), None)


def _fresh(drivers: list[Driver]) -> list[Driver]:
    """The same open sessions with empty tallies (a step measures only its own changes)."""
    for driver in drivers:
        driver.session.page_errors.clear()
    return [Driver(session=d.session, offset=d.offset, index=d.index) for d in drivers]


def _ramp(browser, url, drivers, signatures, usable, args) -> list[dict]:
    steps = []
    while len(drivers) + args.step <= args.max_sessions:
        load_before = os.getloadavg()
        open_sessions(browser, url, OursAdapter(), args.step, drivers)
        drivers[:] = _fresh(drivers)
        drive(drivers, signatures, usable, args.duration)
        step = summarise_changes(drivers)
        step["load_avg_before"], step["load_avg_after"] = load_before, os.getloadavg()
        step["spread"] = _spread(drivers)
        step["holds"] = _holds(step, args.bound)
        steps.append(step)
        print(_row(step), flush=True)
        if not step["holds"]:
            break
    return steps


def _holds(step: dict, bound: float) -> bool:
    p95 = step["change_ms_p95"]
    clean = not (step["errors"] or step["page_error_count"] or step["stale_maps"])
    return clean and p95 is not None and p95 <= bound


def _spread(drivers) -> dict[str, int]:
    spread: dict[str, int] = {}
    for driver in drivers:
        name = replica_of(driver.session) or "direct"
        spread[name] = spread.get(name, 0) + 1
    return spread


def _kill_test(drivers, signatures, usable, run_dir: Path, duration: float) -> dict:
    replicas = {r["name"]: r for r in json.loads((run_dir / "replicas.json").read_text())}
    spread = _spread(drivers)
    victim = max(spread, key=spread.get)
    victims = [d for d in drivers if replica_of(d.session) == victim]
    survivors = _fresh([d for d in drivers if replica_of(d.session) != victim])
    views = [(d, d.session.page.url, fills(map_frame(d.session.page))) for d in victims]
    killed = {}

    def kill(elapsed: float) -> None:
        if not killed and elapsed >= KILL_AFTER_S:
            os.kill(replicas[victim]["pid"], signal.SIGKILL)
            killed["at_s"] = round(elapsed, 1)

    load_before = os.getloadavg()
    drive(survivors, signatures, usable, duration, on_tick=kill)
    others = summarise_changes(survivors)
    reconnects = [_reload(driver, view_url, before) for driver, view_url, before in views]
    return {
        "victim": victim,
        "spread_before": spread,
        "killed_at_s": killed.get("at_s"),
        "survivors": others,
        "victims": reconnects,
        "load_avg_before": load_before,
        "load_avg_after": os.getloadavg(),
        "ok": not (others["errors"] or others["page_error_count"] or others["stale_maps"])
        and all(r["same_view"] and r["replica"] not in (None, victim) for r in reconnects),
    }


def _reload(driver: Driver, view_url: str, expected: list[str]) -> dict:
    """Reopen this viewer's own URL; where it landed and whether the map's fills are the same
    (the monitor's signature is not compared: it is learned from sector clicks, not from a URL)."""
    session = driver.session
    session.url = view_url
    try:
        session.open(timeout=CHANGE_TIMEOUT_S)
        session.settle()
        shown, error = fills(map_frame(session.page)), None
    except Exception as exc:  # reported in the result, never hidden
        shown, error = None, f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return {
        "url": view_url,
        "replica": replica_of(session),
        "same_url": session.page.url == view_url,
        "same_view": shown == expected,
        "error": error,
    }


def _row(step: dict) -> str:
    def ms(key):
        return "-" if step[key] is None else f"{step[key]:.0f}"

    errors = len(step["errors"]) + step["page_error_count"]
    return (
        f"{step['sessions']:>3} sessions  p50 {ms('change_ms_p50'):>5}  p95 {ms('change_ms_p95'):>5}"
        f"  changes {step['changes']:>4}  errors {errors}  stale {len(step['stale_maps'])}"
        f"  load {step['load_avg_before'][0]:.1f}->{step['load_avg_after'][0]:.1f}"
        f"  spread {step['spread']}  {'holds' if step['holds'] else 'DOES NOT HOLD'}"
    )


def _print(result: dict) -> None:
    print(f"\np95 bound {result['bound_ms']:.0f} ms; sessions held = the largest step that holds")
    for count, steps in result["ramps"].items():
        held = [s for s in steps if s["holds"]]
        best = held[-1] if held else None
        if best is None:
            print(f"{count} replica(s): holds no step")
            continue
        print(
            f"{count} replica(s): {best['sessions']} sessions held, p50 {best['change_ms_p50']:.0f} ms,"
            f" p95 {best['change_ms_p95']:.0f} ms, 0 errors, 0 stale (load {best['load_avg_after'][0]:.1f})"
        )
    kill = result.get("kill")
    if kill:
        survivors = kill["survivors"]
        print(
            f"kill {kill['victim']} at {kill['killed_at_s']} s (spread {kill['spread_before']}):"
            f" survivors {survivors['sessions']} sessions, {survivors['changes']} changes,"
            f" {len(survivors['errors']) + survivors['page_error_count']} errors,"
            f" {len(survivors['stale_maps'])} stale; victims reloaded:"
            f" {sum(r['same_view'] for r in kill['victims'])}/{len(kill['victims'])} same view on"
            f" {sorted({r['replica'] for r in kill['victims']}, key=str)}; {'OK' if kill['ok'] else 'FAIL'}"
        )


if __name__ == "__main__":
    sys.exit(main())
