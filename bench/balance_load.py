"""Load through a balancer: how many concurrent sessions 1, 2 and 3 replicas hold at one p95 bound,
and what a viewer sees when a replica dies. Sessions speak Streamlit's websocket protocol
(bench/wsclient.py), many in this one asyncio process, so the driver leaves the cores to the servers.

    uv run python bench/balance_load.py                          # 1,2,3 replicas, p95 <= 1000 ms
    uv run python bench/balance_load.py --replicas 1,2 --steps 4,8 --duration 5

1. Warm-up: one session on the first set-up visits "all sectors" and each candidate sector once
   and records the map each one shows (the fills signature); only selections whose maps differ
   from each other are used.
2. Ramp, per replica count: 1 = one server direct (no balancer); 2 and 3 = scripts/balance.sh
   (HAProxy, ATLAS cookie affinity) on a free port. Sessions are opened one after the other up to
   each of `--steps` (the open ones stay open), then all of them change their own sector for
   `--duration` s, one change in flight per session, a different selection each change. Each
   change's map must show the fills the warm-up learned for its selection: another selection's
   fills is a "stale" map, anything else a "wrong" one. A step records map_ms (rerun sent ->
   the map's new arguments) and finished_ms (-> script finished), errors, stale/wrong maps, the
   spread over replicas (each session's ATLAS cookie), the driver's own CPU (process time over
   wall time, in cores) and the load average before/after (the machine is shared). A step holds
   when the map_ms p95 is within `--bound` with 0 errors and 0 stale/wrong maps; the ramp stops
   at the first step that does not hold.
3. Replica kill, with the most replicas: as many fresh sessions as that ramp held each change
   their sector once (their view is then in their URL: `?sectors=...` as the app writes it);
   the busiest replica's sessions are the victims. The others keep changing for `--duration` s
   while that replica is SIGKILLed (2 s in): they must see 0 errors and 0 stale/wrong maps. Then
   each victim reopens its own URL with its cookie jar (as a browser reloading does) and must land
   on another replica (a new ATLAS cookie) with the same fills it had.
A table goes to stdout, everything to bench/results/balance-latest.json. For a browser in the
loop, drive a running balancer with `bench/load.py --url` (Playwright; on 2 cores the browsers
take the CPU the servers need, which is why this ramp does not use them).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]  # the bench's modules; geo/ and tests/

from adapters import CANDIDATES, RESULTS_DIR, SENTINEL_ALL  # noqa: E402
from measure import median, percentile  # noqa: E402
from report import machine_info, write_json  # noqa: E402
from wsclient import Session, signature  # noqa: E402

from geo.view import View, view_to_params  # noqa: E402
from tests.harness import Balancer, balancer, streamlit_server  # noqa: E402

KILL_AFTER_S = 2.0
COOKIE = "ATLAS"  # scripts/haproxy.cfg.template's affinity cookie; its value is the replica's name
DIRECT = "direct"  # the spread's name for sessions on one server without a balancer
LISTED = 20  # errors and stale maps kept per step in the JSON (all are counted)

Selection = tuple[str, ...]  # the sector multiselect's value; () = all sectors


@dataclass
class Viewer:
    """One session and its tallies for the current step."""

    session: Session
    offset: int  # where its rotation starts, so sessions do not change in lockstep
    current: Selection = ()
    turn: int = 0
    map_ms: list[float] = field(default_factory=list)
    finished_ms: list[float] = field(default_factory=list)
    bad: list[dict] = field(default_factory=list)  # stale or wrong maps (`judge`)
    errors: list[str] = field(default_factory=list)
    broken: bool = False  # its connection failed: it makes no more changes

    def fresh(self) -> None:
        """Empty tallies: a step measures only its own changes."""
        self.map_ms, self.finished_ms, self.bad, self.errors = [], [], [], []


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    counts = sorted(_numbers(args.replicas))
    steps = sorted(_numbers(args.steps))
    result = {
        "when": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine_info(),
        "client": "websocket (bench/wsclient.py)",
        "bound_ms": args.bound,
        "duration_s": args.duration,
        "steps": steps,
        "ramps": {},
    }
    expected: dict[Selection, str] | None = None
    for count in counts:
        with _app(count) as (url, running):
            print(f"\n== {count} replica(s) at {url}", flush=True)
            if expected is None:
                expected = asyncio.run(_learn(url))
                result["selections"] = [label(s) for s in expected]
                print(f"selections used: {result['selections']}", flush=True)
            result["ramps"][count] = asyncio.run(_ramp(url, expected, steps, args))
            if count == counts[-1] and running is not None:
                sessions = held_sessions(result["ramps"][count])[0] or steps[0]
                result["kill"] = asyncio.run(_kill_test(url, running, expected, sessions, args.duration))
    result["held"] = {count: held_sessions(ramp)[0] for count, ramp in result["ramps"].items()}
    result["capacity"] = capacity_line(result["ramps"], args.bound)
    out = Path(args.json)
    write_json(out, result)
    _print(result)
    print(f"\nwrote {out}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replicas", default="1,2,3", help="replica counts to ramp (1 = one server direct)")
    parser.add_argument("--steps", default="4,8,16,24,32,48,64", help="open sessions at each ramp step")
    parser.add_argument("--bound", type=float, default=1000, help="map_ms p95 bound for a step to hold, ms")
    parser.add_argument("--duration", type=float, default=20, help="seconds of filter changes per step")
    parser.add_argument("--json", default=str(RESULTS_DIR / "balance-latest.json"))
    return parser


def _numbers(text: str) -> set[int]:
    try:
        numbers = {int(n) for n in text.split(",")}
    except ValueError:
        raise SystemExit(f"expected whole numbers separated by commas, got {text!r}") from None
    if not numbers or min(numbers) < 1:
        raise SystemExit(f"expected numbers from 1 up, got {text!r}")
    return numbers


@contextmanager
def _app(count: int) -> Iterator[tuple[str, Balancer | None]]:
    """One server direct (count 1) or scripts/balance.sh with `count` replicas: (url, balancer)."""
    if count == 1:
        with streamlit_server("app.py", launcher="layers.server", log_path=RESULTS_DIR / "balance-r1.log") as server:
            yield server.url, None
    else:
        with balancer(count, Path(tempfile.mkdtemp(prefix="atlas-balance-bench-"))) as running:
            yield running.url, running


# --- the pure rules (tests/test_balance_load.py) ---


def label(selection: Selection) -> str:
    return ",".join(selection) or SENTINEL_ALL


def view_query(selection: Selection) -> str:
    """The query string the app writes for this sector selection (geo.view.view_to_params; the
    other fields at their defaults)."""
    return urlencode(view_to_params(View(years=None, sectors=selection), View(years=None)))


def distinct(signatures: dict[Selection, str]) -> dict[Selection, str]:
    """The selections whose map differs from every earlier one's (the first of a tie is kept)."""
    kept: dict[Selection, str] = {}
    for selection, sig in signatures.items():
        if sig not in kept.values():
            kept[selection] = sig
    return kept


def next_selection(options: list[Selection], current: Selection, turn: int) -> Selection:
    """The `turn`-th of the options other than `current`: every change is a different map."""
    others = [option for option in options if option != current]
    return others[turn % len(others)]


def judge(expected: dict[Selection, str], own: Selection, shown: str) -> dict | None:
    """None when the map shows `own`'s fills; else a "stale" map (another selection's fills: state
    leaking between sessions or an old rerun) or a "wrong" one (fills no selection has)."""
    if shown == expected[own]:
        return None
    other = next((s for s, sig in expected.items() if sig == shown), None)
    return {
        "own": label(own),
        "shown": None if other is None else label(other),
        "kind": "wrong" if other is None else "stale",
    }


def summarise_step(viewers: list[Viewer]) -> dict:
    """Latency percentiles, errors and stale/wrong maps over these sessions' changes."""
    map_ms = [ms for v in viewers for ms in v.map_ms]
    finished_ms = [ms for v in viewers for ms in v.finished_ms]
    errors = [e for v in viewers for e in v.errors]
    bad = [b for v in viewers for b in v.bad]
    return {
        "sessions": len(viewers),
        "changes": len(map_ms),
        "changes_per_session_min": min((len(v.map_ms) for v in viewers), default=0),
        "map_ms_p50": median(map_ms),
        "map_ms_p95": percentile(map_ms, 95),
        "map_ms_max": max(map_ms, default=None),
        "finished_ms_p50": median(finished_ms),
        "finished_ms_p95": percentile(finished_ms, 95),
        "error_count": len(errors),
        "errors": errors[:LISTED],
        "stale": sum(b["kind"] == "stale" for b in bad),
        "wrong": sum(b["kind"] == "wrong" for b in bad),
        "bad_maps": bad[:LISTED],
    }


def clean(step: dict) -> bool:
    return not (step["error_count"] or step["stale"] or step["wrong"])


def holds(step: dict, bound: float) -> bool:
    """0 errors, 0 stale/wrong maps, and some changes with a map_ms p95 within `bound`."""
    return clean(step) and step["map_ms_p95"] is not None and step["map_ms_p95"] <= bound


def held_sessions(steps: list[dict]) -> tuple[int, bool]:
    """(the most sessions a step held, 0 if none; whether the ramp ended still holding, so the
    figure is a floor set by the steps, not the set-up's limit)."""
    held = [step["sessions"] for step in steps if step["holds"]]
    return max(held, default=0), bool(steps) and steps[-1]["holds"]


def capacity_line(ramps: dict[int, list[dict]], bound: float) -> str | None:
    """The most replicas' sessions held against the fewest's (None with one set-up)."""
    low, high = min(ramps), max(ramps)
    if low == high:
        return None

    def held(count: int) -> str:
        sessions, capped = held_sessions(ramps[count])
        return f"{sessions}{'+' if capped else ''}"

    base = "1 server" if low == 1 else f"{low} replicas"
    low_held, high_held = held_sessions(ramps[low])[0], held_sessions(ramps[high])[0]
    ratio = f"{high_held / low_held:.2f}x" if low_held else "-"
    return (
        f"capacity: {high} replicas hold {held(high)} sessions vs {base} {held(low)}"
        f" at p95 <= {bound:.0f} ms ({high}/{low} = {ratio})"
    )


# --- the sessions ---


def replica_of(session: Session) -> str:
    """The replica this session's ATLAS cookie sends it to (DIRECT: no balancer)."""
    return next((c.value for c in session.cookies if c.name == COOKIE), DIRECT)


def spread(viewers: list[Viewer]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for viewer in viewers:
        name = replica_of(viewer.session)
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


async def _learn(url: str) -> dict[Selection, str]:
    """One session's map for all sectors and for each candidate sector: the selections to use."""
    session = Session(url)
    await session.open()
    try:
        signatures = {(): signature(session.fills)}
        for sector in CANDIDATES:
            await session.change([sector])
            signatures[(sector,)] = signature(session.fills)
    finally:
        await session.close()
    usable = distinct(signatures)
    if len(usable) < 2:
        raise RuntimeError(f"the sector filter does not change the map: {signatures}")
    return usable


async def _open(url: str, viewers: list[Viewer], total: int) -> list[float]:
    """Open sessions one after the other until there are `total` (HAProxy's leastconn then sees
    each one's websocket before the next arrives); their open times, ms."""
    opened = []
    while len(viewers) < total:
        viewer = Viewer(session=Session(url), offset=len(viewers))
        viewers.append(viewer)
        try:
            opened.append(await viewer.session.open())
        except Exception as error:  # counted in the step, never hidden
            viewer.errors.append(f"open: {type(error).__name__}: {error}")
            viewer.broken = True
    return opened


async def _change(viewer: Viewer, expected: dict[Selection, str]) -> None:
    """One change to this session's next selection, timed and checked."""
    target = next_selection(list(expected), viewer.current, viewer.offset + viewer.turn)
    viewer.turn += 1
    try:
        timing = await viewer.session.change(list(target))
    except Exception as error:  # recorded; this session stops
        viewer.errors.append(f"change to {label(target)}: {type(error).__name__}: {error}")
        viewer.broken = True
        return
    viewer.current = target
    if timing["map_ms"] is None:
        viewer.errors.append(f"change to {label(target)}: the rerun sent no map")
        return
    viewer.map_ms.append(timing["map_ms"])
    viewer.finished_ms.append(timing["finished_ms"])
    verdict = judge(expected, target, signature(viewer.session.fills))
    if verdict:
        viewer.bad.append(verdict)


async def _drive(viewer: Viewer, expected: dict[Selection, str], end: float) -> None:
    while not viewer.broken and time.monotonic() < end:
        await _change(viewer, expected)


async def _measure(viewers: list[Viewer], expected: dict[Selection, str], duration: float, *extra) -> dict:
    """Every session changing for `duration` s (and the `extra` coroutines alongside); the step's
    summary, the driver's CPU and the load average around it."""
    for viewer in viewers:
        viewer.fresh()
    load_before = os.getloadavg()
    cpu, wall = time.process_time(), time.monotonic()
    end = wall + duration
    await asyncio.gather(*(_drive(v, expected, end) for v in viewers if not v.broken), *extra)
    driver_cpu = (time.process_time() - cpu) / (time.monotonic() - wall)
    return summarise_step(viewers) | {
        "spread": spread(viewers),
        "driver_cpu_cores": round(driver_cpu, 3),
        "load_avg_before": load_before,
        "load_avg_after": os.getloadavg(),
    }


async def _close(viewers: list[Viewer]) -> None:
    for viewer in viewers:
        if viewer.session.ws is not None:
            await viewer.session.close()


async def _ramp(url: str, expected: dict[Selection, str], steps: list[int], args) -> list[dict]:
    viewers: list[Viewer] = []
    rows = []
    try:
        for total in steps:
            opened = await _open(url, viewers, total)
            step = await _measure(viewers, expected, args.duration)
            step["open_ms_p50"] = median(opened)
            step["holds"] = holds(step, args.bound)
            rows.append(step)
            print(_row(step), flush=True)
            if not step["holds"]:
                break
    finally:
        await _close(viewers)
    return rows


async def _kill_test(
    url: str, running: Balancer, expected: dict[Selection, str], sessions: int, duration: float
) -> dict:
    viewers: list[Viewer] = []
    try:
        await _open(url, viewers, sessions)
        await asyncio.gather(*(_change(v, expected) for v in viewers if not v.broken))  # a view in each URL
        setup_errors = [e for v in viewers for e in v.errors] + [b for v in viewers for b in v.bad]
        before = spread(viewers)
        victim = max(before, key=before.get)
        victims = [v for v in viewers if replica_of(v.session) == victim]
        survivors = [v for v in viewers if v not in victims]
        views = [(v, v.session.query, dict(v.session.fills or {})) for v in victims]
        pid = next(r["pid"] for r in running.replicas() if r["name"] == victim)
        started = time.monotonic()
        killed = {}

        async def kill() -> None:
            await asyncio.sleep(KILL_AFTER_S)
            os.kill(pid, signal.SIGKILL)
            killed["at_s"] = round(time.monotonic() - started, 1)

        others = await _measure(survivors, expected, duration, kill())
        reopened = [await _reopen(v, query, fills, victim) for v, query, fills in views]
    finally:
        await _close(viewers)
    return {
        "victim": victim,
        "spread_before": before,
        "setup_errors": setup_errors,
        "killed_at_s": killed.get("at_s"),
        "survivors": others,
        "victims": reopened,
        "ok": not setup_errors and clean(others) and others["changes"] > 0 and all(r["ok"] for r in reopened),
    }


async def _reopen(viewer: Viewer, query: str, fills: dict[str, str], victim: str) -> dict:
    """Reopen this viewer's own URL (`query`, as the app wrote it) with its cookie jar: whether that
    URL holds its view, where it landed, and whether the map's fills and the URL are the ones it had."""
    session = viewer.session
    holds_view = query == view_query(viewer.current)
    try:
        reopen_ms, error = await session.open(query), None
    except Exception as exc:  # reported in the result, never hidden
        reopen_ms, error = None, f"{type(exc).__name__}: {exc}"
    replica = replica_of(session)
    same_fills = error is None and session.fills == fills
    same_query = session.query == query
    return {
        "query": query,
        "url_holds_view": holds_view,
        "replica": replica,
        "reopen_ms": reopen_ms,
        "same_query": same_query,
        "same_fills": same_fills,
        "error": error,
        "ok": holds_view and same_fills and same_query and replica not in (DIRECT, victim),
    }


# --- the report ---


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _row(step: dict) -> str:
    return (
        f"{step['sessions']:>3} sessions  map p50 {_ms(step['map_ms_p50']):>5}  p95 {_ms(step['map_ms_p95']):>5}"
        f"  finished p95 {_ms(step['finished_ms_p95']):>5}  changes {step['changes']:>4}"
        f"  errors {step['error_count']}  stale {step['stale']}  wrong {step['wrong']}"
        f"  driver {step['driver_cpu_cores'] * 100:.0f}% cpu"
        f"  load {step['load_avg_before'][0]:.1f}->{step['load_avg_after'][0]:.1f}"
        f"  spread {step['spread']}  {'holds' if step['holds'] else 'DOES NOT HOLD'}"
    )


def _print(result: dict) -> None:
    print(f"\nmap_ms p95 bound {result['bound_ms']:.0f} ms; sessions held = the largest step that holds")
    for count, steps in result["ramps"].items():
        sessions, capped = held_sessions(steps)
        best = next((s for s in steps if s["holds"] and s["sessions"] == sessions), None)
        if best is None:
            print(f"{count} replica(s): holds no step")
            continue
        print(
            f"{count} replica(s): {sessions} sessions held{' (the last step: the limit is higher)' if capped else ''},"
            f" p50 {_ms(best['map_ms_p50'])} ms, p95 {_ms(best['map_ms_p95'])} ms, 0 errors, 0 stale/wrong"
        )
    if result["capacity"]:
        print(result["capacity"])
    kill = result.get("kill")
    if kill:
        survivors = kill["survivors"]
        victims = kill["victims"]
        print(
            f"kill {kill['victim']} at {kill['killed_at_s']} s (spread {kill['spread_before']}):"
            f" survivors {survivors['sessions']} sessions, {survivors['changes']} changes,"
            f" p95 {_ms(survivors['map_ms_p95'])} ms, {survivors['error_count']} errors,"
            f" {survivors['stale']} stale, {survivors['wrong']} wrong; victims reopened:"
            f" {sum(r['same_fills'] for r in victims)}/{len(victims)} same fills,"
            f" {sum(r['same_query'] for r in victims)}/{len(victims)} same URL, on"
            f" {sorted({r['replica'] for r in victims})} ({[r['query'] or '/' for r in victims]});"
            f" {'OK' if kill['ok'] else 'FAIL'}"
        )


if __name__ == "__main__":
    sys.exit(main())
