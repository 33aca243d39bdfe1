"""Load test: many browser sessions changing filters at once against ONE atlas server.

    uv run python bench/load.py                       # 20 sessions, 60 s of changes, 60 s cool-down
    uv run python bench/load.py --sessions 5 --duration 20 --cooldown 10
    uv run python bench/load.py --script /path/to/candidate_app.py
    uv run python bench/load.py --url http://127.0.0.1:8500/   # an app already running (a balancer)

Localhost only: one Streamlit server on a free 127.0.0.1 port, one headless Debian Chromium with
N contexts (every request outside this machine aborted). Every loop is bounded by count and time
and the script stops by itself.

1. A warm-up session visits each candidate sector once and records the map each one shows (the
   fills signature); only sectors whose maps differ from each other and from "all" are used.
2. N sessions open the app, each starting at a different point of the sector rotation, and for
   `--duration` seconds keep changing their own filter (one change in flight per session; the
   driver polls all sessions round-robin; latencies are timed inside the page, so the polling
   adds nothing to them).
3. Each completed change is checked: once the page has settled, its map must show ITS OWN
   filter's signature. A map showing another sector's signature is "stale" (e.g. state leaking
   between sessions); any other signature is "wrong". JavaScript errors, Streamlit exception
   elements, Tracebacks in the server log and changes that never complete are errors.
4. Server memory (VmRSS): idle, after the warm-up, peak during, right after the sessions close,
   and after `--cooldown` seconds; the last must be within 10% of the post-warm-up value.
   With `--url` the bench starts no server: it drives that address (e.g. scripts/balance.sh's
   HAProxy) and records no memory or server log: the browser-in-the-loop check through a
   balancer (bench/balance_load.py ramps it with protocol-level sessions instead).
A summary goes to stdout, everything to bench/results/load-latest.json.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]  # the bench's modules; geo/ and tests/

from adapters import RESULTS_DIR, STATE_POLYGONS, OursAdapter, with_script  # noqa: E402
from measure import median, percentile  # noqa: E402
from report import machine_info, write_json  # noqa: E402
from session import Session, learn_signatures, usable_states  # noqa: E402

from tests.harness import launch_chromium, start_streamlit, stop_streamlit  # noqa: E402

CHANGE_TIMEOUT_S = 60
DRAIN_TIMEOUT_S = 60
MEMORY_TOLERANCE = 0.10


@dataclass
class Driver:
    """One session's bookkeeping in the round-robin loop."""

    session: Session
    offset: int
    index: int = 0
    target: str | None = None
    t0: float = 0.0
    started: float = 0.0
    verify: bool = False
    flagged: bool = False
    latencies: list[float] = field(default_factory=list)
    stale: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from playwright.sync_api import sync_playwright

    adapter = with_script(OursAdapter(), args.script)
    reason = None if args.url else adapter.pending_reason()
    if reason:
        print(f"PENDING: {reason}")
        return 2
    log = RESULTS_DIR / "server-load.log"
    server = None
    if not args.url:
        server = start_streamlit(
            adapter.script, env=adapter.env, extra_args=adapter.extra_args, log_path=log, launcher=adapter.launcher
        )
    url = args.url or server.url
    rss = server.rss_kib if server else None
    memory = {"idle": rss()} if rss else {}
    drivers: list[Driver] = []
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            machine = machine_info(browser)
            print(f"machine: {machine['nproc']} cores, {machine['mem_total']}, {machine['cpu_model']}")
            signatures, usable = warm_up(browser, url, adapter)
            print(f"sectors used: {usable}", flush=True)
            if rss:
                memory["after_warm_up"] = rss()
                print(
                    f"server RSS idle {memory['idle'] / 1024:.0f} MiB,"
                    f" after warm-up {memory['after_warm_up'] / 1024:.0f} MiB",
                    flush=True,
                )
            first_paints = open_sessions(browser, url, adapter, args.sessions, drivers)
            print(f"{args.sessions} sessions open (first paint median {median(first_paints):.0f} ms)", flush=True)
            samples = drive(drivers, signatures, usable, args.duration, rss=rss)
            if rss:
                memory["peak_during"] = max(samples)
                memory["median_during"] = median(samples)
            frames = [d.session.monitor_frames() for d in drivers]
            for driver in drivers:
                driver.session.close()
            if rss:
                memory["after_close"] = rss()
                memory["after_cooldown"] = _cool_down(rss, args.cooldown)
            browser.close()
    finally:
        if server:
            stop_streamlit(server)

    tracebacks = log.read_text(errors="replace").count("Traceback") if server and log.exists() else 0
    result = _summarise(drivers, memory, tracebacks, args, machine, usable, first_paints, frames)
    out = Path(args.json)
    write_json(out, result)
    _print(result)
    print(f"\nwrote {out}")
    return 0 if result["verdict"] == "PASS" else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60, help="seconds of filter changes")
    parser.add_argument("--cooldown", type=float, default=60, help="seconds to watch memory after")
    parser.add_argument("--script", help="serve this script instead of app.py")
    parser.add_argument("--url", help="drive the app at this address (no server started, no memory figures)")
    parser.add_argument("--json", default=str(RESULTS_DIR / "load-latest.json"))
    return parser


def warm_up(browser, url, adapter):
    """Learn each candidate sector's map signature in one session; the sectors the map tells apart."""
    session = Session(browser, url, adapter)
    try:
        session.open(timeout=CHANGE_TIMEOUT_S * 2)
        signatures = learn_signatures(session, list(adapter.candidates))
    finally:
        session.close()
    usable = usable_states(adapter, signatures)
    if not usable:
        raise RuntimeError(f"no candidate sector changes the map: {signatures}")
    return signatures, usable


def open_sessions(browser, url, adapter, count: int, drivers: list[Driver]) -> list[float]:
    """Open `count` more sessions (appended to `drivers`, offsets continuing); their first paints, ms."""
    first_paints = []
    for _ in range(count):
        session = Session(browser, url, adapter)
        drivers.append(Driver(session=session, offset=len(drivers)))
        first_paints.append(session.open(timeout=CHANGE_TIMEOUT_S * 2))
    return first_paints


def drive(drivers, signatures, usable, duration, *, rss=None) -> list[int]:
    """Round-robin over the sessions until `duration` is over and every change has landed.
    `rss()` is sampled once a second (when given)."""
    owner = {sig: state for state, sig in signatures.items()}
    samples = [rss()] if rss else []
    end = time.monotonic() + duration
    hard_end = end + DRAIN_TIMEOUT_S
    next_sample = time.monotonic() + 1
    while time.monotonic() < hard_end:
        accepting = time.monotonic() < end
        if not accepting and all(d.target is None and not d.verify for d in drivers):
            break
        for driver in drivers:
            try:
                _step(driver, signatures, owner, usable, accepting)
            except Exception as error:  # record, reload this session, go on
                driver.errors.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")
                _recover(driver)
        if rss and time.monotonic() >= next_sample:
            samples.append(rss())
            next_sample += 1
        drivers[0].session.page.wait_for_timeout(20)
    for driver in drivers:
        if driver.target is not None:
            driver.errors.append(f"change to {driver.target} did not land by the end")
    return samples


def _step(driver: Driver, signatures, owner, usable, accepting: bool) -> None:
    session = driver.session
    if driver.target is None and not driver.verify:
        if accepting:
            target = session.adapter.next_state(session.state, driver.index + 2 * driver.offset, usable)
            session.adapter.apply(session.page, session.state, target)
            driver.t0 = session.pointerdown_at()
            driver.target, driver.started, driver.flagged = target, time.monotonic(), False
        return
    status = session.status()
    last = status["last"] or {}
    if status["errors"]:
        raise RuntimeError(f"Streamlit exception element on the page ({status['errors']})")
    if driver.target is not None:
        expected = signatures[driver.target]
        if last.get("sig") == expected and last.get("count", 0) >= STATE_POLYGONS:
            driver.latencies.append(session.first_shown_at(driver.t0, expected) - driver.t0)
            session.state, driver.target, driver.verify = driver.target, None, True
            driver.index += 1
        elif last.get("sig") in owner and owner[last["sig"]] not in (session.state, driver.target):
            if not driver.flagged:
                driver.stale.append({"own": driver.target, "shown": owner[last["sig"]]})
                driver.flagged = True
        elif time.monotonic() - driver.started > CHANGE_TIMEOUT_S:
            raise TimeoutError(f"change {session.state} -> {driver.target} did not land")
        return
    # verify: once settled, the map must still show this session's own filter
    quiet = (time.monotonic() - session.ws_last) * 1000 >= 400
    if status["idle"] and quiet and status["sinceChange"] >= 400:
        shown = last.get("sig")
        if shown != signatures[session.state]:
            kind = "stale" if shown in owner else "wrong"
            driver.stale.append({"own": session.state, "shown": owner.get(shown, kind)})
        driver.verify = False


def _recover(driver: Driver) -> None:
    session = driver.session
    driver.target, driver.verify = None, False
    try:
        session.open(timeout=CHANGE_TIMEOUT_S)
        if session.adapter.needs_reset(session.page):
            session.act(lambda: session.adapter.reset(session.page))
        session.state = session.adapter.initial
    except Exception as error:
        driver.errors.append(f"recovery failed: {error}")


def _cool_down(rss, seconds: float) -> int:
    """RSS after `seconds` with no sessions (sampled, bounded)."""
    end = time.monotonic() + seconds
    value = rss()
    while time.monotonic() < end:
        time.sleep(min(5, max(0.0, end - time.monotonic())))  # measurement interval
        value = rss()
    return value


def summarise_changes(drivers) -> dict:
    """Latency percentiles, errors and stale maps over these sessions' changes."""
    latencies = [ms for d in drivers for ms in d.latencies]
    page_errors = [e for d in drivers for e in d.session.page_errors]
    return {
        "sessions": len(drivers),
        "changes": len(latencies),
        "change_ms_p50": median(latencies),
        "change_ms_p95": percentile(latencies, 95),
        "change_ms_max": max(latencies) if latencies else None,
        "changes_per_session_min": min((len(d.latencies) for d in drivers), default=0),
        "errors": [e for d in drivers for e in d.errors],
        "page_errors": page_errors[:20],
        "page_error_count": len(page_errors),
        "stale_maps": [s for d in drivers for s in d.stale],
    }


def _summarise(drivers, memory, tracebacks, args, machine, usable, first_paints, frames) -> dict:
    changes = summarise_changes(drivers)
    blocked = sorted({u for d in drivers for u in d.session.blocked})
    memory_ok = None
    if memory:
        memory_ok = memory["after_cooldown"] <= memory["after_warm_up"] * (1 + MEMORY_TOLERANCE)
    failures = len(changes["errors"]) + changes["page_error_count"] + len(changes["stale_maps"]) + tracebacks
    return {
        "when": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine,
        "url": args.url,
        "duration_s": args.duration,
        "cooldown_s": args.cooldown,
        "sectors_used": usable,
        "first_paint_ms_median": median(first_paints),
        **changes,
        "monitor_frames_min": min(frames) if frames else None,
        "server_tracebacks": tracebacks,
        "blocked_outside_requests": blocked[:20],
        "memory_kib": memory,
        "memory_within_10pct_after_cooldown": memory_ok,
        "verdict": "PASS" if failures == 0 and memory_ok is not False and changes["changes"] else "FAIL",
    }


def _print(result: dict) -> None:
    mem = result["memory_kib"]

    def mib(key):
        return f"{mem[key] / 1024:.0f}"

    def ms(key):
        return "-" if result[key] is None else f"{result[key]:.0f}"

    print(
        f"\n{result['sessions']} sessions x {result['duration_s']:.0f} s: {result['changes']} changes"
        f" (min {result['changes_per_session_min']} per session)\n"
        f"filter change p50 {ms('change_ms_p50')} ms, p95 {ms('change_ms_p95')} ms,"
        f" max {ms('change_ms_max')} ms\n"
        f"errors: {len(result['errors'])} driver/timeouts, {result['page_error_count']} JavaScript,"
        f" {result['server_tracebacks']} server tracebacks; stale maps: {len(result['stale_maps'])}\n"
        f"verdict: {result['verdict']}"
    )
    if mem:
        print(
            f"server RSS MiB: idle {mib('idle')}, after warm-up {mib('after_warm_up')}, during median"
            f" {mib('median_during')} / peak {mib('peak_during')}, after close {mib('after_close')},"
            f" after {result['cooldown_s']:.0f} s {mib('after_cooldown')}"
            f" ({'within' if result['memory_within_10pct_after_cooldown'] else 'NOT within'} 10% of"
            " after warm-up)"
        )
    for error in result["errors"][:5]:
        print(f"  error: {error}")
    for stale in result["stale_maps"][:5]:
        print(f"  stale: {stale}")


if __name__ == "__main__":
    sys.exit(main())
