"""Memory benchmark (issue 9): the atlas server's RSS per extra idle session and over many
distinct filter combinations, and whether it stays bounded.

    uv run python bench/memory.py                          # seeds-sized atlas, 1,000 combinations
    uv run python bench/memory.py --points 100000 --combos 300 --cooldown 30

One server (app.py as scripts/run.sh serves it, with its own data folder and
ATLAS_SYNTHETIC_POINTS=--points). The server process's RSS (/proc VmRSS):

1. with no session, with 1 browser session (Chromium, the map painted) and with 10 idle browser
   sessions: per extra idle session;
2. over `--combos` distinct filter combinations (`?sectors=A[,B]&years=a-b`: one or two of the
   bench's six sectors x year ranges within the records' years), each a new viewer opening its own link
   over Streamlit's websocket protocol (bench/wsclient.py: no browser, so 1,000 take minutes,
   not the hour a browser page load each took), closed once the script finished with a map;
   RSS every `--every` combinations;
3. after `--cooldown` s with no viewer: past Streamlit's `server.disconnectedSessionTTL` (120 s)
   the closed sessions' state may be dropped.

Bounded: app.py's per-filter caches keep at most 256 entries each (`CACHE_ENTRIES`), so once
more combinations than that have run, RSS must stop growing: `bounded()` compares the growth
per 100 combinations after the caches filled with the growth before (`--tolerance`). Results
go to bench/results/memory.json; never a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import itertools
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]

from adapters import CANDIDATES, RESULTS_DIR, post_script_gc  # noqa: E402
from measure import median, positive_int  # noqa: E402
from report import machine_info, write_json  # noqa: E402
from scale import AtlasServer  # noqa: E402
from session import Session  # noqa: E402
from wsclient import ProtocolError  # noqa: E402
from wsclient import Session as Viewer  # noqa: E402

from bench import _loadavg  # noqa: E402
from geo import join, source  # noqa: E402
from tests.harness import free_port, launch_chromium  # noqa: E402

CACHE_ENTRIES = 256  # app.py's largest per-filter cache (st.cache_data max_entries)
IDLE_SESSIONS = 10


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from playwright.sync_api import sync_playwright

    results = {
        "when": datetime.datetime.now().isoformat(timespec="seconds"),
        "points": args.points,
        "combos": args.combos,
        "runner_post_script_gc": post_script_gc(),
        "load_before": _loadavg(),
    }
    box, port = AtlasServer(args.points), free_port()
    url = f"http://127.0.0.1:{port}/"
    try:
        server = box.start(port)
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            results["machine"] = machine_info(browser)
            results.update(_idle_sessions(browser, url, box, server))
            browser.close()
        results.update(_combinations_rss(url, server, args))
        results["verdict"] = bounded(results["rss_kib_by_combos"], CACHE_ENTRIES, args.tolerance)
    except Exception as error:  # report what was measured so far
        results["error"] = f"{type(error).__name__}: {error}"
        print(f"ERROR: {results['error']} (server log {box.log})")
    finally:
        box.stop()
    results["load_after"] = _loadavg()
    _print(results)
    out = Path(args.json or RESULTS_DIR / "memory.json")
    write_json(out, results)
    print(f"wrote {out}")
    return 0 if "error" not in results else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=0, help="synthetic points (0: the seeds only)")
    parser.add_argument("--combos", type=positive_int, default=1000, help="distinct filter combinations")
    parser.add_argument("--every", type=positive_int, default=100, help="combinations between RSS samples")
    parser.add_argument("--cooldown", type=float, default=150, help="seconds with no viewer at the end")
    parser.add_argument(
        "--tolerance", type=float, default=0.25, help="bounded: growth after the caches fill <= this x before"
    )
    parser.add_argument("--json", help="where to write the results")
    return parser


def _idle_sessions(browser, url: str, box: AtlasServer, server) -> dict:
    """RSS with none, 1 and IDLE_SESSIONS browser sessions open (each with its map painted)."""
    out = {"rss_kib_no_session": server.rss_kib()}
    sessions = []
    try:
        for _ in range(IDLE_SESSIONS):
            sessions.append(Session(browser, url, box.adapter))
            sessions[-1].open(timeout=300)
            sessions[-1].settle(timeout=300)
            if len(sessions) == 1:
                out["rss_kib_1_session"] = server.rss_kib()
        out[f"rss_kib_{IDLE_SESSIONS}_sessions"] = server.rss_kib()
    finally:
        for session in sessions:
            session.close()
    extra = out[f"rss_kib_{IDLE_SESSIONS}_sessions"] - out["rss_kib_1_session"]
    out["rss_kib_per_extra_idle_session"] = extra / (IDLE_SESSIONS - 1)
    print(
        f"RSS: no session {out['rss_kib_no_session'] / 1024:.1f} MiB, 1 session {out['rss_kib_1_session'] / 1024:.1f}"
        f" MiB, {IDLE_SESSIONS} sessions {out[f'rss_kib_{IDLE_SESSIONS}_sessions'] / 1024:.1f} MiB",
        flush=True,
    )
    return out


def combinations(bounds: tuple[int, int]):
    """Distinct link queries: each candidate sector alone and every pair x every year range within
    `bounds` (the records' years: a range outside them is ignored, and would repeat the default)."""
    sectors = [(s,) for s in CANDIDATES] + list(itertools.combinations(CANDIDATES, 2))
    years = [(a, b) for a in range(bounds[0], bounds[1] + 1) for b in range(a, bounds[1] + 1)]
    for (first, last), chosen in itertools.product(years, sectors):
        yield urlencode({"sectors": ",".join(chosen), "years": f"{first}-{last}"})


def _combinations_rss(url: str, server, args) -> dict:
    samples, errors, opens = [[0, server.rss_kib()]], [], []

    async def run() -> None:
        queries = itertools.islice(combinations(join.year_bounds(source.records())), args.combos)
        for i, query in enumerate(queries, start=1):
            viewer = Viewer(url, timeout=120)
            try:
                opens.append(await viewer.open(query))
                if viewer.fills is None:
                    errors.append(f"{query}: no map")
            except ProtocolError as error:
                errors.append(f"{query}: {error}")
            finally:
                await viewer.close()
            if i % args.every == 0 or i == args.combos:
                samples.append([i, server.rss_kib()])
                print(f"{i} combinations: RSS {samples[-1][1] / 1024:.0f} MiB", flush=True)

    started = time.monotonic()
    asyncio.run(run())
    took = time.monotonic() - started
    print(f"{args.combos} combinations in {took:.0f} s; {args.cooldown:.0f} s with no viewer ...", flush=True)
    time.sleep(args.cooldown)
    return {
        "rss_kib_by_combos": samples,
        "rss_kib_after_cooldown": server.rss_kib(),
        "cooldown_s": args.cooldown,
        "combos_seconds": took,
        "open_ms_median": median(opens),
        "errors": errors,
    }


def bounded(samples: list[list[int]], filled: int, tolerance: float) -> dict:
    """Whether RSS stopped growing once the caches filled: KiB per 100 combinations from the first
    sample to the first one at or past `filled` (the caches' bound), and from there to the last;
    bounded when the second is at most `tolerance` x the first (or not above zero)."""
    after = [s for s in samples if s[0] >= filled]
    if len(samples) < 2 or len(after) < 2:
        return {"bounded": None, "why": f"needs samples before and at least two at or past {filled} combinations"}
    (n0, r0), (n1, r1), (n2, r2) = samples[0], after[0], after[-1]
    before, past = (r1 - r0) * 100 / (n1 - n0), (r2 - r1) * 100 / (n2 - n1)
    return {
        "kib_per_100_before": before,
        "kib_per_100_after": past,
        "bounded": past <= 0 or past <= tolerance * before,
    }


def _print(r: dict) -> None:
    if "rss_kib_per_extra_idle_session" in r:
        print(f"per extra idle session: {r['rss_kib_per_extra_idle_session'] / 1024:.2f} MiB")
    if "rss_kib_by_combos" in r:
        curve = ", ".join(f"{n}: {kib / 1024:.0f}" for n, kib in r["rss_kib_by_combos"])
        print(f"RSS (MiB) by combinations: {curve}; after the cool-down {r['rss_kib_after_cooldown'] / 1024:.0f}")
        print(f"errors: {len(r['errors'])}{' (' + r['errors'][0] + ' ...)' if r['errors'] else ''}")
    verdict = r.get("verdict")
    if verdict and verdict["bounded"] is not None:
        print(
            f"KiB per 100 combinations before the caches filled {verdict['kib_per_100_before']:.0f},"
            f" after {verdict['kib_per_100_after']:.0f}: {'bounded' if verdict['bounded'] else 'NOT bounded'}"
        )
    print(f"load average before {r['load_before']}, after {r['load_after']}")


if __name__ == "__main__":
    sys.exit(main())
