"""Where one atlas rerun spends its server time, per section (bench/bench.py --profile).

    uv run python bench/bench.py --profile
    uv run python bench/rerun_profile.py --sector Energy --top 25

No browser and no server: app.py runs in this process through streamlit.testing.v1.AppTest
(app.py is not edited), with cProfile enabled in Streamlit's script thread only (the profiler is
started by a one-shot `threading.setprofile` hook when that thread begins). Before the first run
the process is warmed as the atlas's launcher warms its server (layers.server.warm: PRELOAD
imported, boundaries and seeds read, the page run once), so the first run is what the first
visitor after a start costs.

Runs profiled, in order: the first run (no query parameters); a sector change to `--sector` that
the caches have not seen; then, three times, back to all sectors (not profiled) and the same
sector change again (cache hits: what bench/bench.py times in the browser; the run with the
median script time is shown). For each, in ms, sorted:

- sections: the app's own functions (app.py, inclusive of what they call, so they nest: `main`
  holds nearly everything) and every function app.py calls directly, named module.function
  (streamlit_folium.st_folium, layers.basemap.map_layers, st.* elements, the cache wrapper
  `streamlit.caching.__call__`, which on a hit is the lookup and on a miss includes the body);
- libraries: time inside each library entered from outside it (inclusive: folium includes the
  jinja2 it calls; not shown for built-ins and the standard library, which everything calls) and
  its own time (exclusive, built-ins charged to their caller; these should add up to the script's
  time, and the printout says when they do not: only what app.py reaches through the profile's
  caller links counts, so a function also used by AppTest around the script can leak in).
cProfile adds overhead per call (folium and pandas make many small calls), so the profiled
total exceeds the unprofiled wall time printed beside it: read the shares, not the absolutes.
AppTest does not run Streamlit's post-run gc.collect, and sends nothing over a websocket.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

SCRIPT_THREAD = "ScriptRunner.scriptThread"  # streamlit/runtime/scriptrunner/script_runner.py
LIBRARIES = ("streamlit_folium", "folium", "branca", "jinja2", "pandas", "geopandas", "shapely", "mapclassify")
RESULTS = BENCH_DIR / "results" / "profile-latest.json"
TIMEOUT_S = 180
PROFILED_HITS = 3
SHARED = ("builtins", "stdlib", "app")  # called from everything and calling back: inclusive means nothing


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    script = Path(args.script).resolve()
    from layers import server

    server.warm(script)  # what `python -m layers.server` does before serving
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(script), default_timeout=TIMEOUT_S)
    runs = {}
    runs["first run"] = _profiled(at, lambda: at.run())
    widget = lambda: at.multiselect(key="sectors")  # noqa: E731 (the tree is new after each run)
    runs[f"sector change to {args.sector} (cache misses)"] = _profiled(
        at, lambda: widget().set_value([args.sector]).run()
    )
    hits = []
    for _ in range(PROFILED_HITS):  # noisy on a shared machine: keep the run with the median script time
        widget().set_value([]).run()
        hits.append(_profiled(at, lambda: widget().set_value([args.sector]).run()))
    hits.sort(key=lambda run: _script_seconds(run[0], script))
    runs[f"sector change to {args.sector} (cache hits; median of {PROFILED_HITS} profiled)"] = hits[len(hits) // 2]
    plain = []
    for _ in range(args.repeat):  # the same change, unprofiled: the profiler's overhead
        widget().set_value([]).run()
        started = time.perf_counter()
        widget().set_value([args.sector]).run()
        plain.append((time.perf_counter() - started) * 1000)
        _check(at)
    report = {name: _aggregate(stats, script, wall) for name, (stats, wall) in runs.items()}
    print(f"atlas rerun profile: {script} (AppTest in-process, cProfile in the script thread)")
    for name, summary in report.items():
        _print_run(name, summary, args.top)
    plain.sort()
    print(
        f"\nthe cached sector change unprofiled, {len(plain)} runs (AppTest wall time): median"
        f" {plain[len(plain) // 2]:.0f} ms, min {plain[0]:.0f} ms"
    )
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"script": str(script), "runs": report, "unprofiled_ms": plain}, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--script", default=str(REPO_ROOT / "app.py"))
    parser.add_argument("--sector", default="Automotive", help="the sector the timed change selects")
    parser.add_argument("--top", type=int, default=30, help="sections shown per run")
    parser.add_argument("--repeat", type=int, default=5, help="unprofiled repeats of the cached change")
    parser.add_argument("--json", default=str(RESULTS))
    return parser


def _profiled(at, action) -> tuple[pstats.Stats, float]:
    """Run `action` (an AppTest run) with cProfile on in the script thread it starts."""
    profilers: list[cProfile.Profile] = []

    def start_in_thread(frame, event, arg):  # the thread's first profile event: hand over to cProfile
        sys.setprofile(None)
        if threading.current_thread().name == SCRIPT_THREAD:
            profiler = cProfile.Profile()
            profilers.append(profiler)
            profiler.enable()

    threading.setprofile(start_in_thread)
    try:
        started = time.perf_counter()
        action()
        wall = (time.perf_counter() - started) * 1000
    finally:
        threading.setprofile(None)
    _check(at)
    if not profilers:
        raise RuntimeError(f"no {SCRIPT_THREAD} ran: nothing was profiled")
    for profiler in profilers:
        profiler.disable()  # the thread has ended; this only stops the collection
    return pstats.Stats(*profilers), wall


def _script_seconds(stats: pstats.Stats, script: Path) -> float:
    return next(v[3] for k, v in stats.stats.items() if k[0] == str(script) and k[2] == "<module>")


def _check(at) -> None:
    if at.exception:
        raise RuntimeError(f"the script raised: {[e.value for e in at.exception]}")
    errors = [e.value for e in at.error]
    if errors:
        raise RuntimeError(f"the page shows errors: {errors}")


# --------------------------------------------------------------------------- aggregation


def _aggregate(stats: pstats.Stats, script: Path, wall_ms: float) -> dict:
    entries = stats.stats  # (file, line, name) -> (cc, nc, tottime, cumtime, callers)
    script_file = str(script)
    group = {key: _group(key, script_file) for key in entries}
    for callers in (value[4] for value in entries.values()):
        for caller in callers:
            group.setdefault(caller, _group(caller, script_file))
    module = next((key for key in entries if key[0] == script_file and key[2] == "<module>"), None)
    if module is None:
        raise RuntimeError(f"{script_file} did not run under the profiler")
    inside = _reachable(entries, module)  # the script's own run, not AppTest's compile around it
    thread_total = sum(value[2] for value in entries.values())

    sections: dict[str, float] = {"app.<module> (the whole script run)": entries[module][3]}
    calls: dict[str, int] = {"app.<module> (the whole script run)": 1}
    for key, (_, nc, _, ct, callers) in entries.items():
        if key[0] == script_file and key[2] != "<module>":
            name = f"app.{key[2]}"
            sections[name] = sections.get(name, 0.0) + ct
            calls[name] = calls.get(name, 0) + nc
        elif key[0] != script_file:
            from_app = [v for c, v in callers.items() if c[0] == script_file]
            if from_app:
                name = _section_name(group[key], _function(key))
                sections[name] = sections.get(name, 0.0) + sum(v[3] for v in from_app)
                calls[name] = calls.get(name, 0) + sum(v[1] for v in from_app)

    inclusive: dict[str, float] = {}
    own: dict[str, float] = {}
    for key, (_, _, tt, ct, callers) in entries.items():
        if key not in inside:
            continue
        mine = _library(group[key])
        share = (
            1.0 if key == module else min(1.0, sum(v[3] for c, v in callers.items() if c in inside) / ct) if ct else 0
        )
        for caller, (_, _, sub_tt, sub_ct) in callers.items():
            if caller not in inside:
                continue
            theirs = _library(group[caller])
            if theirs != mine:
                inclusive[mine] = inclusive.get(mine, 0.0) + sub_ct
            if key[0] == "~":  # a built-in: its time is its caller's
                own[theirs] = own.get(theirs, 0.0) + sub_tt
        if key[0] != "~":
            own[mine] = own.get(mine, 0.0) + tt * share

    def rows(values: dict[str, float], with_calls: bool = False) -> list[dict]:
        ordered = sorted(values.items(), key=lambda item: -item[1])
        return [
            {"name": name, "ms": round(seconds * 1000, 2), **({"calls": calls.get(name)} if with_calls else {})}
            for name, seconds in ordered
        ]

    return {
        "wall_ms": round(wall_ms, 1),
        "script_ms": round(entries[module][3] * 1000, 1),
        "thread_ms": round(thread_total * 1000, 1),
        "sections": rows(sections, with_calls=True),
        "libraries_inclusive": rows(inclusive),
        "libraries_own": rows(own),
    }


def _reachable(entries: dict, root: tuple) -> set:
    """Entries called, directly or not, from `root` (through the profile's caller links)."""
    callees: dict[tuple, list[tuple]] = {}
    for key, value in entries.items():
        for caller in value[4]:
            callees.setdefault(caller, []).append(key)
    seen, todo = {root}, [root]
    while todo:
        for callee in callees.get(todo.pop(), ()):
            if callee not in seen:
                seen.add(callee)
                todo.append(callee)
    return seen


def _section_name(group: str, function: str) -> str:
    if group == "streamlit" and function == "wrapped_func":
        return "st.* element and widget calls (streamlit.wrapped_func)"
    if group == "streamlit.caching":
        return f"cache lookups (streamlit.caching.{function}; a miss includes the body)"
    return f"{group}.{function}"


def _function(key: tuple) -> str:
    name = key[2]
    if name.startswith("<built-in method ") or name.startswith("<method "):
        return name.split(" ", 2)[-1].rstrip(">").split(" of ")[0]
    return name


def _group(key: tuple, script_file: str) -> str:
    """Module-ish name of a profile entry: app, geo.metrics, layers.basemap, streamlit.caching,
    pandas, stdlib.json, builtins."""
    path = key[0]
    if path == script_file:
        return "app"
    if path == "~" or path.startswith("<"):
        return "builtins"
    parts = Path(path).parts
    if "site-packages" in parts:
        module = parts[parts.index("site-packages") + 1 :]
        if module[0] == "streamlit":
            return "streamlit.caching" if "caching" in module else ("st" if "elements" in module else "streamlit")
        return module[0].removesuffix(".py")
    try:
        relative = Path(path).resolve().relative_to(REPO_ROOT)
    except ValueError:
        return f"stdlib.{Path(path).stem}"
    return ".".join(relative.with_suffix("").parts)


def _library(group: str) -> str:
    """What the library tables add up: the third-party package, or the repo's package (geo,
    layers), or the app itself."""
    if group in ("st", "streamlit"):
        return "streamlit"
    if group.startswith("stdlib."):
        return "stdlib"
    return group.split(".")[0]


# --------------------------------------------------------------------------- printing


def _print_run(name: str, summary: dict, top: int) -> None:
    print(
        f"\n== {name}: app.py ran {summary['script_ms']:.0f} ms under the profiler (the script thread"
        f" {summary['thread_ms']:.0f} ms: AppTest recompiles the script every run; AppTest wall"
        f" {summary['wall_ms']:.0f} ms)"
    )
    print("  sections (inclusive; app.* are app.py's functions and nest, the rest are called from app.py):")
    for row in summary["sections"][:top]:
        print(f"    {row['ms']:8.1f} ms  {row['name']}  ({row['calls']} calls)")
    left = len(summary["sections"]) - top
    if left > 0:
        print(f"    ... {left} more in the JSON")
    inclusive = {row["name"]: row["ms"] for row in summary["libraries_inclusive"]}
    own = {row["name"]: row["ms"] for row in summary["libraries_own"]}
    names = sorted(set(inclusive) | set(own), key=lambda n: -own.get(n, 0))
    print("  libraries within the script run: inclusive (entered from outside) / own time, ms:")
    for library in names:
        marker = "*" if library in LIBRARIES else " "
        entered = "-" if library in SHARED else f"{inclusive.get(library, 0):.1f}"
        print(f"   {marker}{entered:>8} / {own.get(library, 0):7.1f}  {library}")
    print(
        f"  (own times add up to {sum(own.values()):.0f} ms of the script's {summary['script_ms']:.0f} ms;"
        " more means functions shared with AppTest's own work were charged to the script)"
    )


if __name__ == "__main__":
    sys.exit(main())
