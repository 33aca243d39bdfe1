"""Step benchmark (issue 9): how soon the map repaints when a year slider moves or a sector is tapped.

    uv run python bench/steps.py                 # drags, key presses, sector taps and a playback
    uv run python bench/steps.py --keys 6 --no-playback

One atlas server (app.py as scripts/run.sh serves it) and one Chromium page at 1280x720. The
page gets bench/steps_probe.js (the time of every animation frame, every pointer and key input,
every repaint of a slider's value label); the map's frame reports its own repaints
(`atlas.stats.step`, `atlas.stats.states`: layers/static/atlas-runtime.js). All times are epoch
milliseconds in the browser (performance.timeOrigin + now), so Python's polling is not in them.

1. **Drag**: the export year's thumb (metric=exports) pressed once and moved one year at a time
   from 2007 to 2025 and back to 2016 (27 moves); then the same with the first thumb of the
   records' year range (metric=per_million: each range classed alone, the legend redrawn too).
   Per move: input (the pointermove) -> the map's fills (and legend) re-coloured -> the frame that
   paints them, and the same for the slider's own value label.
   On release: the time until the server's run brings the new layer (what each move would wait
   without the steps the map holds).
2. **Keys**: `--keys` presses of an arrow key on the focused thumb, 400 ms apart: the same figures,
   and the server's layer after each key (the slider sends each key press to the server).
3. **Taps**: each of the benchmark's candidate sectors (bench/adapters.py) added from the sector
   control's dropdown and removed again (metric=per_million: each selection classed alone, the
   legend redrawn too): per tap, the pointerdown -> the map re-coloured -> painted, and the time
   until the server's run brings the layer for that selection. Then, in presenter mode, `--keys`
   presses of Shift+Right (the next sector), the same figures.
4. **Playback** (records, one year at a time): per step, the slider's new value (set by the
   server's run) -> the map repainted, and how much later the run's own layer arrived.

"Frames" counts the frames from the input's to the one that paints, both included: 1 = the
same frame, 2 = the next. Results go to bench/results/steps.json; never a timed test.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]

from adapters import CANDIDATES, RESULTS_DIR  # noqa: E402
from measure import median, percentile, positive_int  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from geo.join import year_bounds  # noqa: E402
from geo.official import EXPORT_YEARS  # noqa: E402
from geo.sectors import SECTORS  # noqa: E402
from geo.seeds import load_records  # noqa: E402
from geo.view import sector_key  # noqa: E402
from tests.harness import launch_chromium, open_atlas, poll_until, streamlit_server  # noqa: E402

PROBE_JS = BENCH_DIR / "steps_probe.js"
VIEWPORT = {"width": 1280, "height": 720}
STEP_JS = (  # the frame's times as epoch ms, like the probe's
    "() => { const s = atlas.stats.step; return s ? {...s, at: s.at + performance.timeOrigin, "
    "drawn: s.drawn + performance.timeOrigin, fills: undefined} : null; }"
)
STATES_JS = "() => { const s = atlas.stats.states; return s ? {...s, at: s.at + performance.timeOrigin} : null; }"
MOVE_WAIT_MS = 2000  # a move whose repaint has not come by then counts as missed


def paint_frame(frames: list[float], at: float) -> float | None:
    """The first frame whose callbacks ran at or after `at`: the one that paints a change made at `at`."""
    return next((frame for frame in frames if frame >= at), None)


def frames_to_paint(frames: list[float], start: float, change: float) -> int | None:
    """Frames from the one that handles `start` to the one that paints `change`, both included."""
    painted = paint_frame(frames, change)
    if painted is None or change < start:
        return None
    return sum(1 for frame in frames if start <= frame <= painted)


def summary(values: list[float]) -> dict:
    """n, median, p95 and max of `values` (None for an empty list)."""
    return {"n": len(values), "median": median(values), "p95": percentile(values, 95), "max": max(values, default=None)}


def repaint(probe: dict, step: dict, input_at: float) -> dict:
    """One repaint's figures: input -> map re-coloured -> painted, and input -> the label's paint."""
    frames = probe["frames"]
    label = next((entry["at"] for entry in probe["labels"] if entry["at"] >= input_at), None)
    painted = paint_frame(frames, step["drawn"])
    label_painted = paint_frame(frames, label) if label is not None else None
    return {
        "value": step["value"],
        "map_ms": None if painted is None else painted - input_at,
        "map_frames": frames_to_paint(frames, input_at, step["drawn"]),
        "label_ms": None if label_painted is None else label_painted - input_at,
        "label_frames": None if label is None else frames_to_paint(frames, input_at, label),
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--keys", type=positive_int, default=10, help="arrow keys on the export year; Shift+Right in presenter mode"
    )
    parser.add_argument("--no-playback", action="store_true", help="skip the records' playback")
    parser.add_argument("--json", type=Path, default=RESULTS_DIR / "steps.json", help="where to write the results")
    return parser


def _step(page, frame, value: str, count: int) -> dict | None:
    """The map's repaint for slider `value` after repaint number `count`, or None within MOVE_WAIT_MS."""

    def drawn():
        step = frame.evaluate(STEP_JS)
        return step if step and step["count"] > count and step["value"] == value else None

    try:
        return poll_until(page, drawn, timeout=MOVE_WAIT_MS, interval=5, message=f"repaint for {value}")
    except AssertionError:
        return None


def _count(frame) -> int:
    step = frame.evaluate(STEP_JS)
    return step["count"] if step else 0


def _last_input(page, kind: str) -> float:
    return [entry["at"] for entry in page.evaluate("window.__steps.read()")["inputs"] if entry["type"] == kind][-1]


def _server_layer(page, frame, value: str, since: float, field: str = "step") -> float | None:
    """When the server's run brought a states layer for `value` (its `field`: the slider's step,
    or "tap", the sector selection) after `since` (epoch ms)."""

    def arrived():
        states = frame.evaluate(STATES_JS)
        return states if states and states[field] == value and states["at"] >= since else None

    try:
        return poll_until(page, arrived, timeout=30_000, interval=10, message=f"server layer for {value}")["at"] - since
    except AssertionError:
        return None


def _drag(page, server, query: str, key: str, bounds: tuple[int, int], value) -> dict:
    """Slider `key`'s (first) thumb pressed once and moved one year at a time from the low end to
    the high end and back to the middle; `value(year)` names the step the map should show."""
    frame = open_atlas(page, server, query)
    page.wait_for_timeout(1000)
    thumb = page.locator(f".st-key-{key} input[type=range]").first.locator("xpath=../..")
    thumb.scroll_into_view_if_needed()
    track = page.locator(f".st-key-{key} [data-testid=stSlider] [data-orientation=horizontal]").nth(1).bounding_box()
    box = thumb.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    low, high = bounds
    years = [*range(low + 1, high + 1), *range(high - 1, (low + high) // 2 - 1, -1)]  # ends off the start year
    moves, missed = [], 0
    for year in years:
        count = _count(frame)
        page.mouse.move(track["x"] + track["width"] * (year - low) / (high - low), y)
        step = _step(page, frame, value(year), count)
        if step is None:
            missed += 1
            continue
        page.wait_for_timeout(60)  # a few frames after it, for the paint
        moves.append(repaint(page.evaluate("window.__steps.read()"), step, _last_input(page, "pointermove")))
    page.mouse.up()
    released = _last_input(page, "pointerup")
    return {
        "moves": moves,
        "missed": missed,
        "server_after_release_ms": _server_layer(page, frame, value(years[-1]), released),
    }


def _inputs(page, frame, actions, *, input_type: str, field: str, pause_ms: int) -> dict:
    """Each of `actions` ((value, act): act() is one input that should show `value`) in turn: per
    input, its repaint (`repaint`, from its last `input_type` event) and when the server's layer for
    `value` (its `field`, _server_layer) came; an input whose repaint does not come is missed."""
    moves, server_ms, missed = [], [], 0
    for value, act in actions:
        count = _count(frame)
        act()
        step = _step(page, frame, value, count)
        if step is None:
            missed += 1
            continue
        at = _last_input(page, input_type)
        server_ms.append(_server_layer(page, frame, value, at, field))
        page.wait_for_timeout(pause_ms)
        moves.append(repaint(page.evaluate("window.__steps.read()"), step, at))
    return {"moves": moves, "missed": missed, "server_ms": [ms for ms in server_ms if ms is not None]}


def _keys(page, server, presses: int) -> dict:
    frame = open_atlas(page, server, f"?metric=exports&year={EXPORT_YEARS[0]}")
    page.wait_for_timeout(1000)
    page.locator(".st-key-year input[type=range]").first.focus()
    press = [(str(EXPORT_YEARS[0] + n + 1), lambda: page.keyboard.press("ArrowRight")) for n in range(presses)]
    return _inputs(page, frame, press, input_type="keydown", field="step", pause_ms=400)


def _taps(page, server, sectors: tuple[str, ...]) -> dict:
    """Each of `sectors` added from the sector control's dropdown (the option's click) and removed
    again (its tag's remove button), from all sectors: per tap, the pointerdown -> the map's fills
    and legend re-coloured from its steps -> painted, and -> the server's layer for it."""
    frame = open_atlas(page, server, "?metric=per_million")
    page.wait_for_timeout(1000)
    sidebar = page.locator('[data-testid="stSidebar"]')
    box = sidebar.get_by_role("combobox", name="Sectors")

    def add(sector: str) -> None:
        box.click()
        box.fill(sector)
        page.get_by_role("option", name=sector, exact=True).click()

    def remove(sector: str) -> None:
        page.keyboard.press("Escape")
        sidebar.locator(f'button[aria-label="Remove {sector}"]:visible').first.click()

    taps = [(sector_key(chosen, SECTORS), lambda tap=tap, sector=sector: tap(sector))
            for sector in sectors for chosen, tap in (((sector,), add), ((), remove))]  # fmt: skip
    return _inputs(page, frame, taps, input_type="pointerdown", field="tap", pause_ms=300)


def _sector_keys(page, server, presses: int) -> dict:
    """Presenter mode: `presses` of Shift+Right, 600 ms apart (from all sectors: the first sector,
    then each next one): per press the map's repaint from the taps, and the server's layer."""
    frame = open_atlas(page, server, "?present=1&metric=per_million")
    page.wait_for_timeout(1000)
    press = [(sector_key((SECTORS[n % len(SECTORS)],), SECTORS), lambda: page.keyboard.press("Shift+ArrowRight"))
             for n in range(presses)]  # fmt: skip
    return _inputs(page, frame, press, input_type="keydown", field="tap", pause_ms=600)


def _playback(page, server) -> dict:
    frame = open_atlas(page, server)
    page.wait_for_timeout(1000)
    page.get_by_role("button", name="▶ Play years").click()
    seen: dict[str, dict] = {}
    layers: dict[str, float] = {}  # step value -> when the server's layer for it arrived

    def finished():
        step, states = frame.evaluate(STEP_JS), frame.evaluate(STATES_JS)
        if step and step["value"] not in seen:
            seen[step["value"]] = step
        if states and states["step"] and states["step"] not in layers:
            layers[states["step"]] = states["at"]
        return page.get_by_role("button", name="▶ Play years").count() and seen

    poll_until(page, finished, timeout=120_000, interval=10, message="playback stopped")
    probe = page.evaluate("window.__steps.read()")
    steps = []
    for value, step in seen.items():
        painted = paint_frame(probe["frames"], step["drawn"])
        layer = layers.get(value)
        steps.append({"value": value, "map_ms": None if painted is None else painted - step["at"],
                      "map_frames": frames_to_paint(probe["frames"], step["at"], step["drawn"]),
                      "server_ms": None if layer is None else layer - step["at"]})  # fmt: skip
    return {"steps": steps}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = datetime.datetime.now().isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(prefix="atlas-steps-") as folder:
        env = {"ATLAS_CACHE_DIR": folder}
        with streamlit_server("app.py", launcher="layers.server", env=env) as server, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            context = browser.new_context(viewport=VIEWPORT)
            context.add_init_script(path=str(PROBE_JS))
            page = context.new_page()
            low, high = year_bounds(load_records())
            result = {
                "started": started,
                "drag": _drag(page, server, f"?metric=exports&year={EXPORT_YEARS[0]}", "year", EXPORT_YEARS, str),
                "range_drag": _drag(page, server, "?metric=per_million", "years", (low, high),
                                    lambda year: f"{min(year, high)}-{high}"),
                "keys": _keys(page, server, args.keys),
                "taps": _taps(page, server, CANDIDATES),
                "sector_keys": _sector_keys(page, server, args.keys),
            }  # fmt: skip
            if not args.no_playback:
                result["playback"] = _playback(page, server)
            browser.close()
    _report(result)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    print(f"results: {args.json}")
    return 0


def _report(result: dict) -> None:
    def line(name: str, values: list) -> None:
        s = summary([v for v in values if v is not None])
        if s["n"]:
            print(f"  {name:<42} n={s['n']:<3} median {s['median']:7.1f}  p95 {s['p95']:7.1f}  max {s['max']:7.1f}")

    for part in ("drag", "range_drag", "keys", "taps", "sector_keys"):
        moves = result[part]["moves"]
        print(f"{part}: {len(moves)} repaints, {result[part]['missed']} missed")
        line("input -> map painted (ms)", [m["map_ms"] for m in moves])
        line("input -> map painted (frames)", [m["map_frames"] for m in moves])
        line("input -> slider label painted (ms)", [m["label_ms"] for m in moves])
        line("input -> slider label painted (frames)", [m["label_frames"] for m in moves])
    for part in ("drag", "range_drag"):
        released = result[part]["server_after_release_ms"]
        print(f"  {part} released -> the server's layer: {'not seen' if released is None else f'{released:.0f} ms'}")
    line("key -> the server's layer (ms)", result["keys"]["server_ms"])
    line("tap -> the server's layer (ms)", result["taps"]["server_ms"])
    line("sector key -> the server's layer (ms)", result["sector_keys"]["server_ms"])
    if "playback" in result:
        steps = result["playback"]["steps"]
        print(f"playback: {len(steps)} steps drawn in the browser")
        line("slider moved -> map painted (ms)", [s["map_ms"] for s in steps])
        line("slider moved -> map painted (frames)", [s["map_frames"] for s in steps])
        line("slider moved -> the server's layer (ms)", [s["server_ms"] for s in steps])


if __name__ == "__main__":
    sys.exit(main())
